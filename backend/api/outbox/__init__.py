"""The outbox's dead letters, for staff."""
