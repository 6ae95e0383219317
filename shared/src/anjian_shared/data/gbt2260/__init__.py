"""GB/T 2260 administrative-division codes (see README.md beside this file for source and date)."""
