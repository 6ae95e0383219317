"""Reference data shipped with personnel (a sample Hunan assessment catalog, labelled so)."""
