"""Channels: thin translators between a chat service and the flows (DESIGN.md §2 rule 3). They reach the
conversations and the notifier only through ports (bot/chat/ports.py, bot/outbound/push.py), never the tables or
the database; tono/app.py builds what answers the ports and hands it in."""
