"""Towns, villages, households and villagers: editing, the roster sheet, lists, personal data."""
