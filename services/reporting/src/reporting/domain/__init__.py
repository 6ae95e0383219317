"""reporting's rules, free of I/O: who is told what (站内通知), which to-dos are open,
who may read a document, how a document is laid out, share-link tokens."""
