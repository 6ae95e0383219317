"""domain of conversations (HN-12)."""
