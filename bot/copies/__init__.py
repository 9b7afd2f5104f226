"""What the family finally receives: an explanation and copies of the records, in their language and
register (DESIGN.md §5)."""
