"""The city level: rule templates of towns and cities, and the dashboards that compare their villages."""
