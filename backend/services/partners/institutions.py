"""Institutions as OAuth 2.0 clients: registration, secrets (shown once, kept hashed), tokens, Authlib's view.

Authlib runs the token endpoint and reads bearer tokens (backend/api/partners/oauth.py); it asks this module for
a client by id, to keep a token it issued, and for the token behind a bearer string. Only sha256 digests of
secrets and tokens are stored, so a copy of the database lets nobody act as a bank.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, scope_to_list
from sqlalchemy import select, update

from backend import clock
from backend.database import write_transaction
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Institution, PartnerToken
from backend.services.access import Caller, require_role
from backend.services.audit import record_audit, snapshot
from backend.services.idempotency import Claim, claimed_transaction
from backend.settings import current_settings


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RegisteredInstitution:
    """An institution with the one copy of its client secret the admin will ever see."""

    institution: Institution
    client_secret: str


def register_institution(
    *,
    caller: Caller,
    name: str,
    kind: str,
    scopes: list[str],
    rate_limit: str | None,
    claim: Claim | None = None,
) -> RegisteredInstitution:
    """A new OAuth client for a bank; its secret is returned once and stored only as a digest."""
    require_role(caller, "admin")
    secret = secrets.token_urlsafe(32)
    with claimed_transaction(claim) as session:
        institution = Institution(
            name=name,
            kind=kind,
            client_id="inst_" + secrets.token_urlsafe(12),
            client_secret_hash=_digest(secret),
            scopes=sorted(set(scopes)),
            rate_limit=rate_limit,
            is_active=True,
        )
        session.add(institution)
        session.flush()
        record_audit(
            session, actor=caller, action="institution.register", entity=institution, after=snapshot(institution)
        )
    return RegisteredInstitution(institution, secret)


def update_institution(*, caller: Caller, institution: Institution, changes: dict) -> Institution:
    """Rename, rescope, re-limit or (de)activate; deactivating or narrowing scopes ends its tokens at once."""
    require_role(caller, "admin")
    with write_transaction() as session:
        institution = session.merge(institution)
        before = snapshot(institution)
        for key, value in changes.items():
            setattr(institution, key, sorted(set(value)) if key == "scopes" else value)
        if changes.get("is_active") is False or "scopes" in changes:
            _revoke_tokens(session, institution.id)
        record_audit(
            session,
            actor=caller,
            action="institution.update",
            entity=institution,
            before=before,
            after=snapshot(institution),
        )
        return institution


def rotate_institution_secret(*, caller: Caller, institution: Institution) -> RegisteredInstitution:
    """A new client secret (shown once); the old one and every token issued under it stop working."""
    require_role(caller, "admin")
    secret = secrets.token_urlsafe(32)
    with write_transaction() as session:
        institution = session.merge(institution)
        institution.client_secret_hash = _digest(secret)
        institution.secret_rotated_at = clock.now()
        _revoke_tokens(session, institution.id)
        record_audit(session, actor=caller, action="institution.rotate_secret", entity=institution)
    return RegisteredInstitution(institution, secret)


def get_institution(*, caller: Caller, institution_id: int) -> Institution:
    """One institution with its settings, for admins and city admins."""
    require_role(caller, "admin", "city_admin")
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound()
    return institution


def list_institutions(*, caller: Caller) -> list[Institution]:
    """Every institution for admins and city admins; the active ones (to consent to) for villagers."""
    stmt = select(Institution).order_by(Institution.name, Institution.id)
    if caller.role not in ("admin", "city_admin"):
        require_role(caller, "villager")
        stmt = stmt.where(Institution.is_active.is_(True))
    return list(db.session.execute(stmt).scalars())


def _revoke_tokens(session, institution_id: int) -> None:
    session.execute(
        update(PartnerToken)
        .where(PartnerToken.institution_id == institution_id, PartnerToken.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )


# --- what Authlib needs -------------------------------------------------------------------------------------


class OAuthClient(ClientMixin):
    """An active institution as Authlib sees a client: confidential, client credentials only, its own scopes."""

    def __init__(self, institution: Institution):
        self.institution = institution

    def get_client_id(self):
        return self.institution.client_id

    def get_default_redirect_uri(self):
        return None

    def get_allowed_scope(self, scope):
        allowed = set(self.institution.scopes or [])
        if not scope:
            return " ".join(sorted(allowed))
        wanted = scope_to_list(scope)
        # A scope the bank was not granted is refused outright (invalid_scope), never silently dropped.
        return " ".join(wanted) if set(wanted) <= allowed else None

    def check_redirect_uri(self, redirect_uri):
        return False

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(_digest(client_secret or ""), self.institution.client_secret_hash)

    def check_endpoint_auth_method(self, method, endpoint):
        return endpoint == "token" and method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return False

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


def find_oauth_client(client_id: str) -> OAuthClient | None:
    """The active institution behind a client id, as Authlib's client; None for unknown or inactive ones."""
    institution = db.session.execute(
        select(Institution).where(Institution.client_id == str(client_id), Institution.is_active.is_(True))
    ).scalar_one_or_none()
    return OAuthClient(institution) if institution is not None else None


def save_partner_token(token: dict, client: OAuthClient) -> None:
    """Keep the digest of a token Authlib just issued, with its scope and expiry."""
    with write_transaction() as session:
        session.add(
            PartnerToken(
                institution_id=client.institution.id,
                token_hash=_digest(token["access_token"]),
                scope=token.get("scope") or "",
                issued_at=clock.now(),
                expires_at=clock.now() + timedelta(seconds=int(token["expires_in"])),
            )
        )


def token_lifetime_seconds() -> int:
    return current_settings().partner_token_minutes * 60


@dataclass(frozen=True)
class PartnerGrant(TokenMixin):
    """A bearer token as the resource side sees it: whose, which scopes, still good or not."""

    institution: Institution
    scopes: frozenset[str]
    expires_at: object
    revoked: bool

    def check_client(self, client):
        return client.get_client_id() == self.institution.client_id

    def get_scope(self):
        return " ".join(sorted(self.scopes))

    def get_expires_in(self):
        return max(0, int((self.expires_at - clock.now()).total_seconds()))

    def is_expired(self):
        return self.expires_at <= clock.now()

    def is_revoked(self):
        return self.revoked or not self.institution.is_active


def find_partner_token(token_string: str) -> PartnerGrant | None:
    """The grant behind a bearer string; None when no such token was ever issued."""
    row = db.session.execute(
        select(PartnerToken).where(PartnerToken.token_hash == _digest(token_string or ""))
    ).scalar_one_or_none()
    if row is None:
        return None
    return PartnerGrant(
        institution=row.institution,
        scopes=frozenset(scope_to_list(row.scope) or []),
        expires_at=row.expires_at,
        revoked=row.revoked_at is not None,
    )
