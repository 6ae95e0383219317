"""reporting's adapters: tenant-scoped read-model storage, the CJK font, the PDF renderer, QR codes."""
