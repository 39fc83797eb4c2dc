"""The customer's address book. At most one default per customer (a partial unique index says so too).

Functions add to the session; the view commits.
"""

from __future__ import annotations

from sqlalchemy import select, update

from portal.extensions import db
from portal.models import User, UserAddress


def clean_address(text: str) -> str:
    """One line, single spaces: the form the change_address tool stores."""
    return " ".join(text.split())


def own_address(user: User, address_id: int) -> UserAddress | None:
    """The user's saved address with this id (None for anybody else's)."""
    return db.session.scalar(
        select(UserAddress).where(UserAddress.id == address_id, UserAddress.user_id == user.id)
    )


def default_address(user: User) -> UserAddress | None:
    return db.session.scalar(
        select(UserAddress).where(UserAddress.user_id == user.id, UserAddress.is_default.is_(True))
    )


def add_address(user: User, label: str, address: str, make_default: bool) -> UserAddress:
    """Save a new address; the first one becomes the default by itself."""
    first = default_address(user) is None
    row = UserAddress(user_id=user.id, label=label.strip(), address=clean_address(address), is_default=False)
    db.session.add(row)
    db.session.flush()
    if make_default or first:
        set_default(user, row)
    return row


def edit_address(user: User, row: UserAddress, label: str, address: str, make_default: bool) -> None:
    row.label, row.address = label.strip(), clean_address(address)
    if make_default:
        set_default(user, row)


def set_default(user: User, row: UserAddress) -> None:
    # Clear the old default first and flush, so the unique index never sees two defaults at once.
    db.session.execute(
        update(UserAddress)
        .where(UserAddress.user_id == user.id, UserAddress.id != row.id)
        .values(is_default=False)
    )
    db.session.flush()
    row.is_default = True
    db.session.flush()


def delete_address(user: User, row: UserAddress) -> None:
    """Delete it; when it was the default, the oldest remaining address takes over."""
    was_default = row.is_default
    db.session.delete(row)
    db.session.flush()
    if was_default:
        successor = db.session.scalar(
            select(UserAddress).where(UserAddress.user_id == user.id).order_by(UserAddress.id).limit(1)
        )
        if successor is not None:
            set_default(user, successor)
