"""Points: a villager's history, committee adjustments, who is about to lose points."""
