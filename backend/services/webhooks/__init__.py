"""Outbound webhooks: subscriptions of towns and cities, events published through the outbox, their delivery."""
