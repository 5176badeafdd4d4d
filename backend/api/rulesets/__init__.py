"""Rule sets: drafts, validation, simulation, publishing."""
