"""The WeChat access token shared by every process through the database (one row per mini-program).

Each process keeps its own copy until the deadline and reads the row only when its copy is stale, so the stable
token endpoint is called about once per token lifetime for the whole deployment. It uses a connection and
transaction of its own: a token fetched while a request is half-way through its work is kept either way.
"""

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from backend import clock
from backend.extensions import db
from backend.models import WeChatAccessToken


def _moment(deadline: float) -> datetime:
    return datetime.fromtimestamp(deadline, UTC).replace(tzinfo=None)


class DatabaseTokenStore:
    """`TokenStore` of backend.adapters.wechat over the wechat_access_tokens table."""

    def load(self, app_id: str) -> tuple[str, float] | None:
        with db.engine.connect() as conn:
            row = conn.execute(
                select(WeChatAccessToken.access_token, WeChatAccessToken.expires_at).where(
                    WeChatAccessToken.app_id == app_id
                )
            ).first()
        if row is None:
            return None
        return row.access_token, row.expires_at.replace(tzinfo=UTC).timestamp()

    def save(self, app_id: str, token: str, deadline: float) -> None:
        values = {"app_id": app_id, "access_token": token, "expires_at": _moment(deadline), "updated_at": clock.now()}
        with db.engine.begin() as conn:
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            stmt = dialect.insert(WeChatAccessToken).values(**values)
            conn.execute(stmt.on_conflict_do_update(index_elements=["app_id"], set_=values))

    def discard(self, app_id: str, token: str) -> None:
        # Only the token that failed: another process may already have stored a fresh one.
        with db.engine.begin() as conn:
            conn.execute(
                delete(WeChatAccessToken).where(
                    WeChatAccessToken.app_id == app_id, WeChatAccessToken.access_token == token
                )
            )
