"""The chat runtime: one family turn at a time against the database (conversation) and the per-chat limits.
Uses the flows, people, requests, outbound notices and language below it; the channels above reach it only
through its port (ports.py: no database there)."""
