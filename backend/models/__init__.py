"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from backend.models.audit import AuditEntry
from backend.models.auth import RefreshToken, RevokedToken, TokenFamily
from backend.models.people import BindingCode, Household, Town, User, Village, Villager

__all__ = [
    "AuditEntry",
    "BindingCode",
    "Household",
    "RefreshToken",
    "RevokedToken",
    "TokenFamily",
    "Town",
    "User",
    "Village",
    "Villager",
]
