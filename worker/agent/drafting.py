"""Draft a reply for a ticket that reached a person: the agent's words and citations, for staff to edit.

The draft takes the agent's read-only path (redact → triage → retrieve → compose an answer from the
policy passages) and never the decide step: no tool runs, nothing is refunded or changed, and nothing is
sent. The ticket is read in one short transaction and the draft stored in another; no transaction is
held while the model or the index works.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from portal.config_agent import AgentSettings
from portal.database.sqlite import write_transaction
from portal.desk.drafts import pending_for
from portal.extensions import db
from portal.models import Draft, Ticket, TicketStatus, utcnow
from worker.agent.backends import BackendResult, Citation, get_backend
from worker.agent.compose import compose
from worker.agent.context import TicketSnapshot, build_context, load_ticket, redactor, triage_text
from worker.agent.nlu.injection import strip_instructions
from worker.agent.pipeline import Tracer, passage_finder, retrieve

logger = logging.getLogger(__name__)

# The support policy says how hand-overs work; the customer needs the rule their request is about.
_NOT_THE_TOPIC = ("escalation",)


def draft_for_ticket(
    ticket_id: int, *, agent: AgentSettings, instance_path: str | Path, now: datetime | None = None
) -> int | None:
    """Write and store a pending draft for the escalated ticket; its id, or None when none is needed."""
    snapshot = _snapshot_if_needed(ticket_id)
    db.session.close()  # nothing held while the agent works
    if snapshot is None:
        return None
    body, citations = write_draft(snapshot, agent=agent, instance_path=instance_path, now=now)
    with write_transaction():
        ticket = db.session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).one()
        if ticket.status != TicketStatus.ESCALATED.value or pending_for(ticket_id) is not None:
            return None  # a person answered meanwhile, or a twin job stored its draft first
        draft = Draft(ticket_id=ticket_id, body=body, citations=[c.as_dict() for c in citations])
        db.session.add(draft)
        db.session.flush()
        draft_id = draft.id
    logger.info("ticket %s: draft %s stored", ticket_id, draft_id)
    return draft_id


def _snapshot_if_needed(ticket_id: int) -> TicketSnapshot | None:
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or ticket.status != TicketStatus.ESCALATED.value:
        logger.info("ticket %s: not with a person, no draft", ticket_id)
        return None
    if pending_for(ticket_id) is not None:
        logger.info("ticket %s: a draft is already waiting", ticket_id)
        return None
    return load_ticket(ticket_id)


def write_draft(
    snapshot: TicketSnapshot,
    *,
    agent: AgentSettings,
    instance_path: str | Path,
    now: datetime | None = None,
) -> tuple[str, list[Citation]]:
    """The draft's text and citations: an answer from the policy passage that best fits the ticket."""
    now = now or utcnow()
    backend = get_backend(agent)
    clean = redactor(snapshot)
    text, _ignored = strip_instructions(clean(triage_text(snapshot)))
    triage = backend.triage(text)
    index, passages = retrieve(Tracer(), agent, instance_path, text)
    ctx = build_context(
        snapshot,
        text=text,
        clean=clean,
        triage=triage,
        passages=passages,
        limits=agent.limits,
        now=now,
    )
    topical = [p.policy for p in passages if p.policy not in _NOT_THE_TOPIC]
    result = BackendResult(action="answer", cited_policies=topical[:1])
    composed = compose(ctx, result, [], passage_finder(index))
    return _greeted(clean.vault.reveal(composed.reply), snapshot.customer_name), composed.citations


def _greeted(reply: str, name: str) -> str:
    first = (name or "").split()[0] if (name or "").split() else ""
    if first and reply.startswith("Hello,"):
        return f"Hello {first}," + reply[len("Hello,") :]
    return reply
