"""Helpers for the shop tests: redeem through the API with a fresh Idempotency-Key."""

import pytest

from tests.factories.shops import ShopWorld


@pytest.fixture
def world(app):
    return ShopWorld(points=100)
