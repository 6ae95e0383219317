"""equipment: crane filings, use registration, installation/dismantling and locks (HEB-06/07/12..15).

For now it keeps the project directory it will need for filings, from projects' events."""
