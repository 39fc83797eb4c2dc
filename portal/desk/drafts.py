"""The agent's drafted replies on the desk: show the pending one, record what staff did with it, count.

A draft is never sent by itself. Staff send it through the normal reply path (portal.desk.actions.reply)
as it is or edited, or discard it; the admin metrics show how often each happens.
"""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Draft, DraftStatus, Message, User, utcnow

OUTCOMES = (DraftStatus.SENT.value, DraftStatus.SENT_EDITED.value, DraftStatus.DISCARDED.value)


def pending_for(ticket_id: int) -> Draft | None:
    """The ticket's newest draft still waiting for a person."""
    query = (
        select(Draft)
        .where(Draft.ticket_id == ticket_id, Draft.status == DraftStatus.PENDING.value)
        .order_by(Draft.id.desc())
    )
    return db.session.scalars(query).first()


def pending_by_id(ticket_id: int, draft_id: int | None) -> Draft | None:
    """That draft, if it is this ticket's and still pending (a stale form after a discard finds none)."""
    draft = db.session.get(Draft, draft_id, populate_existing=True) if draft_id else None
    if draft is None or draft.ticket_id != ticket_id or draft.status != DraftStatus.PENDING.value:
        return None
    return draft


def _same_text(a: str, b: str) -> bool:
    # Browsers send CRLF line ends and staff may leave a trailing newline: neither is an edit.
    return " ".join(a.split()) == " ".join(b.split())


def mark_sent(draft: Draft, staff: User, message: Message) -> str:
    """Record that the draft went out in `message`: unchanged or edited; returns the new status."""
    edited = not _same_text(draft.body, message.body)
    draft.status = DraftStatus.SENT_EDITED.value if edited else DraftStatus.SENT.value
    if not edited:  # the passages back exactly what was said; after an edit a person vouches for it
        message.citations = list(draft.citations)
    draft.decided_at, draft.decided_by_id, draft.message_id = utcnow(), staff.id, message.id
    return draft.status


def discard(draft: Draft, staff: User) -> None:
    draft.status = DraftStatus.DISCARDED.value
    draft.decided_at, draft.decided_by_id = utcnow(), staff.id


def stats(since=None) -> dict[str, int | float | None]:
    """Drafts by what became of them (decided since `since`, or ever), and the share sent unchanged."""
    query = select(Draft.status, func.count()).group_by(Draft.status)
    if since is not None:
        query = query.where((Draft.decided_at >= since) | (Draft.status == DraftStatus.PENDING.value))
    counts = {status.value: 0 for status in DraftStatus} | dict(db.session.execute(query).all())
    decided = sum(counts[status] for status in OUTCOMES)
    return {
        **counts,
        "decided": decided,
        "unchanged_share": counts[DraftStatus.SENT.value] / decided if decided else None,
    }
