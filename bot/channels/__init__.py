"""Channels: thin translators between a chat service and the flows (DESIGN.md §2 rule 3)."""
