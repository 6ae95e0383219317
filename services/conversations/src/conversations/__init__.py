"""conversations: group conversations (企业号会话) and real-time delivery (HN-12)."""
