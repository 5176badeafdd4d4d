"""The credit score: scores, entries (violations, objections, honours), dishonesty list, repair, snapshots."""
