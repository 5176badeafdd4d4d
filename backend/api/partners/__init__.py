"""HTTP side of partners: OAuth for institutions, consents, reports, integrations."""
