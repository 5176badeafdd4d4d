"""HTTP side of the city level: rule templates and dashboards."""
