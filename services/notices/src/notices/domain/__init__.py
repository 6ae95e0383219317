"""The notice aggregate and its rules (no I/O)."""
