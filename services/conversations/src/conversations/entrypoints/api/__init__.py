"""entrypoints/api of conversations (HN-12)."""
