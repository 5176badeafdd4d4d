"""What signed-in people see about themselves, composed from the domains (profile, home screen, export)."""
