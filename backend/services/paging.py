"""Keyset pagination: `?limit=&cursor=` in, `{items, next_cursor}` out."""

import base64
import binascii

from sqlalchemy import Select

from backend.errors import InvalidInput
from backend.extensions import db

MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(errors={"cursor": ["分页游标无效。"]}) from exc


def paginate(stmt: Select, id_column, *, limit: int, cursor: str | None, newest_first: bool = True) -> dict:
    """One page of `stmt` ordered by `id_column`; the cursor is the last id seen."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor:
        last = decode_cursor(cursor)
        stmt = stmt.where(id_column < last if newest_first else id_column > last)
    stmt = stmt.order_by(id_column.desc() if newest_first else id_column.asc()).limit(limit + 1)
    rows = db.session.execute(stmt).scalars().all()
    items = rows[:limit]
    next_cursor = encode_cursor(getattr(items[-1], id_column.key)) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}
