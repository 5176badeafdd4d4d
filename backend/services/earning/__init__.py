"""Earning points: activity awards, speak/photo claims and their review, polls, lessons, events, uploads."""
