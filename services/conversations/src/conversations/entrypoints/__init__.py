"""entrypoints of conversations (HN-12)."""
