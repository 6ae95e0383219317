"""service_layer of conversations (HN-12)."""
