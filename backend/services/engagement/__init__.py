"""Engagement: participation counters, badges, leaderboards, the monthly board, notices and the home screen."""
