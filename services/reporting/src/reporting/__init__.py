"""Anjian reporting service: read models built from events (站内通知, to-dos), documents (PDF)
of notices (告知书) and plan results (检查结果), and share links (HB-03, HB-08, HB-09)."""
