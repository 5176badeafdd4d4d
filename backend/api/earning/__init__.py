"""Blueprints of earning: activities (polls, lessons), events, submissions and review."""
