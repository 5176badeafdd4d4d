"""Partner shops: the catalogue and funding, pay codes, redemption, settlement, who may spend.

No other domain uses this one: its face exports nothing (lint-imports keeps other domains out of its
submodules). The HTTP layer and the commands call the use cases in the submodules directly.
"""
