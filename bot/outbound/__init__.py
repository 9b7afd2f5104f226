"""Telling families things outside a turn: notices written to the notification outbox in the caller's
transaction (notify), sent paced and retried by the notifier on the outbox package's lease and backoff, shaped for
the wire (wire); push says what a pushing channel and the notifier ask of each other, with no database. Uses the
tables, flows' message types, language and outbox; never the chat runtime, people or requests above it."""
