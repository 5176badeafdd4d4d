"""Blueprints of the credit score."""
