"""adapters of conversations (HN-12)."""
