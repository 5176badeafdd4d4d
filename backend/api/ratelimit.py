"""Flask-Limiter and the key it counts by."""

from flask import request
from flask_limiter import Limiter


def client_key() -> str:
    """The client's address; behind nginx, ProxyFix has already put the real one in remote_addr."""
    return request.remote_addr or "unknown"


limiter = Limiter(key_func=client_key, default_limits=[])
