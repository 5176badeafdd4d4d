"""Keys for Flask-Limiter."""

from flask import request


def client_key() -> str:
    """The client's address; behind nginx, ProxyFix has already put the real one in remote_addr."""
    return request.remote_addr or "unknown"
