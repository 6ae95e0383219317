"""partners: the event stream for partner systems — subscriptions, signed webhooks,
per-subscription AMQP queues, the event log and replay (PLAT-03)."""
