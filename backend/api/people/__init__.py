"""Blueprints of the people domain: sign-in, me, villages, villagers, the audit log."""
