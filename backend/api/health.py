"""Liveness and readiness for load balancers."""

from flask import Blueprint
from sqlalchemy import text

from backend.extensions import db

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
