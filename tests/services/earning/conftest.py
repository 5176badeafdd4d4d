"""Fixtures shared with tests/api/earning: the activity world (a village with points rules, villagers and committee)."""

from tests.api.earning.conftest import world  # noqa: F401 - a fixture, used by name
