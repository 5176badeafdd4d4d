"""Institutions (banks) as OAuth clients, their access tokens, villagers' consents, and every report request.

A consent names one institution and one purpose (PIPL art. 23: a separate consent per recipient and purpose) and
what may be shared; a report request, granted or refused, is kept as a `ReportAccess` the villager can see.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend import clock
from backend.extensions import db
from backend.models.append_only import make_append_only
from backend.models.base import TimestampMixin, VillageOwnedMixin

INSTITUTION_KINDS = ("bank", "credit_cooperative")
# What a token may do: fetch reports under consents, list the consents held.
PARTNER_SCOPES = ("credit_report", "consents")
# What a consent may share; never ID number, phone, address or raw entries.
SHAREABLE = ("level", "score_band", "reasons", "points_band")
PURPOSES = {"loan_approval": "信用贷款审批", "loan_review": "贷后管理", "credit_line": "授信额度评估"}
ACCESS_OUTCOMES = ("granted", "refused")


class Institution(TimestampMixin, db.Model):
    """A bank or credit cooperative: an OAuth 2.0 client (client credentials) with a hashed secret and scopes."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(24), default="bank")
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    # sha256 of a 256-bit random secret: a slow password hash buys nothing against a secret nobody can guess.
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list] = mapped_column(JSON, default=list)
    # Flask-Limiter notation ("60 per minute"); None: PARTNER_RATE_LIMIT.
    rate_limit: Mapped[str | None] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(DateTime)


class PartnerToken(db.Model):
    """An access token issued to an institution; only its sha256 is kept."""

    __tablename__ = "partner_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    institution: Mapped[Institution] = relationship(viewonly=True)


class Consent(VillageOwnedMixin, TimestampMixin, db.Model):
    """A villager's consent that one institution may read a minimal credit report for one purpose, until expiry."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_villager_id_institution_id", "villager_id", "institution_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    villager_id: Mapped[int] = mapped_column(ForeignKey("villagers.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    shares: Mapped[list] = mapped_column(JSON)
    # The last village day on which the institution may read the report (at most 90 days after granting).
    expires_on: Mapped[date] = mapped_column(Date)
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    institution: Mapped[Institution] = relationship(viewonly=True)


class ReportAccess(db.Model):
    """One report request by an institution, granted or refused, with what was shared.

    `village_id` and the consent are empty only when the request named a consent that does not exist.
    """

    __tablename__ = "report_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    # Why it was refused: no_consent, consent_expired, consent_revoked, not_your_consent, scope_not_granted...
    refusal: Mapped[str | None] = mapped_column(String(32))
    shared: Mapped[list] = mapped_column(JSON, default=list)
    report_id: Mapped[str | None] = mapped_column(String(36))
    rule_version: Mapped[int | None] = mapped_column()
    as_of: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=clock.now, index=True)

    institution: Mapped[Institution] = relationship(viewonly=True)


# Evidence for villagers and the regulator: never changed, never deleted.
make_append_only(ReportAccess.__table__)
