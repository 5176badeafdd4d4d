"""What signed-in people see about themselves, composed from the domains (profile, home screen, export).

No other domain uses this one: its face exports nothing (lint-imports keeps other domains out of its
submodules). The HTTP layer and the commands call the use cases in the submodules directly.
"""
