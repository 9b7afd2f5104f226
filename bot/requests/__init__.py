"""The request service: moving a request through protocol.lifecycle with its hash-chained history (moves),
what staff do (staff), what the agency's messages change (inbound), delivering answers (delivery) and the
deadline sweep. Uses outbound notices, copies, flows' message types and the tables; never the chat or desk."""
