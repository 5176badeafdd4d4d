"""Blueprints of partner shops: shops and items, pay codes and redemptions."""
