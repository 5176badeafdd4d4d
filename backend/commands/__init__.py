"""flask command groups of the feature modules (registered in backend.cli)."""
