"""Fixtures shared with tests/api/shops: the shop world: a village, a shop and its keeper, a villager with points."""

from tests.api.shops.conftest import world  # noqa: F401 - a fixture, used by name
