"""The city level: rule templates of towns and cities, and the dashboards that compare their villages.

No other domain uses this one: its face exports nothing (lint-imports keeps other domains out of its
submodules). The HTTP layer and the commands call the use cases in the submodules directly.
"""
