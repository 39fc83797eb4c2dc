"""Cursor pagination over ascending ids: `?limit=&cursor=`, answered with `next_cursor` (null at the end).

The cursor is the last id seen, base64-encoded so clients treat it as opaque; rows added meanwhile never
shift a page the way OFFSET would.
"""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import Select

from portal.api.errors import ApiError
from portal.extensions import db


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ApiError(422, "invalid_cursor", "The cursor is not one this API returned.") from exc


def page(query: Select, id_column, limit: int, cursor: str | None) -> tuple[list, str | None]:
    """One page of `query`'s rows after `cursor`, and the cursor of the next page (None when last)."""
    if cursor:
        query = query.where(id_column > decode(cursor))
    rows = list(db.session.scalars(query.order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode(rows[-1].id) if more else None
