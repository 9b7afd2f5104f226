"""Telling families things outside a turn: notices written to the notification outbox in the caller's
transaction (notify), sent paced and retried by the notifier, shaped for the wire (wire). Uses the tables,
flows' message types and language; never the chat runtime, people or requests above it."""
