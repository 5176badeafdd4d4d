"""Fixtures shared with tests/api/earning: the activity world: rule sets are drafted and published in its village."""

from tests.api.earning.conftest import world  # noqa: F401 - a fixture, used by name
