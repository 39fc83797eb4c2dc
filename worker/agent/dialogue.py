"""The conversation so far: the question the agent left open, and what it already did on the ticket.

After the agent asked something ("Which of these orders do you mean?"), the customer's next message
is first of all an answer: "P2002 please", "the second one", "yes", "the kettle", "it's S4002".
`chosen_option` resolves it against the options the agent offered; the request being clarified keeps
its action (a refund stays a refund whatever words the answer uses), unless the new message is a
clear request of its own. The agent never asks the same question twice: when the answer still
does not settle it, a person takes over (offline backend).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from tools import OrderSnapshot
from worker.agent.backends.base import TOOL_ACTIONS
from worker.agent.context import TicketSnapshot, mentioned_orders
from worker.agent.nlu import Triage, extract_order_numbers, item_mentions
from worker.agent.nlu.injection import strip_instructions

# A follow-up is a new request of its own when the classifier is this sure and it is not just an answer.
_NEW_REQUEST_CONFIDENCE = 0.9
_ANSWER_WORDS = 6
_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "primero": 0,
    "primera": 0,
    "segundo": 1,
    "segunda": 1,
    "tercero": 2,
    "premier": 0,
    "premiere": 0,
    "deuxieme": 1,
    "troisieme": 2,
    "erste": 0,
    "ersten": 0,
    "zweite": 1,
    "zweiten": 1,
    "dritte": 2,
    "dritten": 2,
}
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b(?!\s+(?:of|time))")
_LAST = re.compile(r"\b(?:last|latest|newest|most\s+recent|ultimo|ultima|dernier|derniere|letzte|letzten)\b")
_NUMBER_ALONE = re.compile(r"^\W*(?:number\s+|no\.?\s*|#)?([1-4])\W*$")
_YES = re.compile(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|correct|right|that(?:'s| is) (?:it|the one)|si|oui|ja)\b"
)


@dataclass(frozen=True)
class PendingQuestion:
    """The agent's open question: what it asked for, for which action, and the orders it offered."""

    asked: str  # order | problem | address | items | details
    action: str  # the action being clarified (refund, cancel, ...)
    intent: str | None
    options: tuple[str, ...]
    order: str | None  # the order already settled (asking for the problem or the address)


def pending_question(messages: Sequence[Any]) -> PendingQuestion | None:
    """The question of the agent's last message when the customer has answered it since."""
    last_agent = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].author == "agent"), None)
    if last_agent is None or last_agent == len(messages) - 1:
        return None
    outcome = messages[last_agent].outcome or {}
    if outcome.get("action") != "clarify" or not outcome.get("for_action"):
        return None
    return PendingQuestion(
        asked=outcome.get("question") or ("order" if outcome.get("clarify_options") else "details"),
        action=outcome["for_action"],
        intent=outcome.get("intent"),
        options=tuple(outcome.get("clarify_options") or ()),
        order=outcome.get("order"),
    )


def ticket_actions(messages: Sequence[Any]) -> tuple[dict[str, Any], ...]:
    """What the agent did on this ticket (tool actions carried out or held), oldest first."""
    done = []
    for message in messages:
        outcome = message.outcome or {}
        if message.author == "agent" and outcome.get("decision") in ("done", "held"):
            done.append(outcome)
    return tuple(done)


def chosen_option(answer: str, pending: PendingQuestion, orders: Sequence[OrderSnapshot]) -> str | None:
    """The order the customer's answer picks among those offered, if it picks one."""
    numbers = [n.upper() for n in extract_order_numbers(answer)]
    if numbers:
        return numbers[0]
    options = _offered(pending, orders)
    if not options:
        return None
    text = _plain(answer)
    named = _named(answer, text, options)
    if len(named) == 1:
        return named[0].number
    index = _position(text, len(options))
    return options[index].number if index is not None and index < len(options) else None


def _offered(pending: PendingQuestion, orders: Sequence[OrderSnapshot]) -> list[OrderSnapshot]:
    # in the order the agent listed them: "the second one" is the second line the customer read
    by_number = {o.number: o for o in orders}
    return [by_number[n] for n in pending.options if n in by_number] or list(orders)


def _named(answer: str, text: str, options: Sequence[OrderSnapshot]) -> list[OrderSnapshot]:
    """The options whose items the answer names: as listed if any, else misspelt or shortened."""
    named = [o for o in options if item_mentions(answer, [i.name for i in o.items])]
    return named or [o for o in options if _sounds_like_an_item(text, o)]


def _position(text: str, count: int) -> int | None:
    """The place in the list of `count` options that the answer points at: "2", "the second one",
    "the last one", or "yes" when only one was offered (may lie past the list's end)."""
    if match := _NUMBER_ALONE.match(text):
        return int(match.group(1)) - 1
    if match := _ORDINAL.search(text):
        return _ORDINALS[match.group(1)]
    if _LAST.search(text):
        return count - 1
    if count == 1 and _YES.search(text):
        return 0
    return None


# Short names customers use for items whose listed name is longer.
_ITEM_WORDS = {"tv": "television", "telly": "television", "phone": "smartphone", "laptop": "notebook"}


def _sounds_like_an_item(text: str, order: OrderSnapshot) -> bool:
    """A misspelt or shortened item name ("the hedphones", "the TV") close to one of the order's."""
    said = [_ITEM_WORDS.get(w, w) for w in re.findall(r"[a-z]{2,}", text)]
    for item in order.items:
        for word in re.findall(r"[a-z]{2,}", item.name.lower()):
            word = _ITEM_WORDS.get(word, word)
            if word in said or len(word) > 3 and difflib.get_close_matches(word, said, n=1, cutoff=0.8):
                return True
    return False


_FOLLOW_UP = re.compile(
    r"\?|^\W*(?:when|did|has|have|is|was|where|how\s+long|any\s+news|quand|cuando|wann|est-ce|ha|hat|ist)\b|"
    r"\b(?:yet|already|go(?:ne)?\s+through)\b",
    re.IGNORECASE,
)
_ABOUT = {
    "refund": re.compile(
        r"\b(?:money|refund\w*|paid\s+back|go(?:ne)?\s+through|argent|rembours\w*|dinero|reembols\w*|"
        r"geld|erstatt\w*|r[uü]ckzahlung)\b",
        re.IGNORECASE,
    ),
    "cancel": re.compile(
        r"\b(?:cancel\w*|money|refund\w*|back|argent|annul\w*|dinero|cancelad\w*|geld|storn\w*)\b",
        re.IGNORECASE,
    ),
    "replacement": re.compile(
        r"\b(?:replacement|new\s+one|shipped|sent|arriv\w*|on\s+its\s+way|remplacement|reemplazo|ersatz)\b",
        re.IGNORECASE,
    ),
}


def earlier_action_asked_about(text: str, actions: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The action done on this ticket that a follow-up question asks about ("did the refund go
    through?", "is it cancelled?", "has the replacement shipped?"), if the message is one."""
    if not actions or not _FOLLOW_UP.search(text) or extract_order_numbers(text):
        return None
    for outcome in reversed(actions):
        pattern = _ABOUT.get(outcome.get("action") or "")
        if pattern is not None and pattern.search(text):
            return outcome
    return None


_REFERS_BACK = re.compile(r"\b(?:it|that|this|the\s+same|that\s+one|this\s+one|them)\b", re.IGNORECASE)


def refers_back(text: str) -> bool:
    """A short follow-up that points back at the order just discussed ("can you cancel it then?")."""
    return len(text.split()) <= 10 and bool(_REFERS_BACK.search(text))


def previous_order(messages: Sequence[Any]) -> tuple[str | None, str | None]:
    """(order, action) of the agent's last answer that concerned an order: what "it" refers to."""
    for message in reversed(messages):
        outcome = message.outcome or {}
        if message.author == "agent" and outcome.get("order"):
            return outcome["order"], outcome.get("action")
    return None, None


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii").strip()


def is_new_request(answer_triage: Triage, answer: str, pending: PendingQuestion) -> bool:
    """Whether the follow-up asks for something else rather than answering the question."""
    if pending.action == "clarify":  # "what do you need?" is answered by the request itself
        return answer_triage.action != "clarify"
    if answer_triage.action in ("clarify", pending.action) or answer_triage.intent == "greeting":
        return False
    long_enough = len(answer.split()) > _ANSWER_WORDS
    return long_enough and answer_triage.confidence >= _NEW_REQUEST_CONFIDENCE


def continue_request(triage: Triage, pending: PendingQuestion) -> Triage:
    """The clarified request's action and intent, with what the answer itself adds (reasons, orders)."""
    return replace(triage, action=pending.action, intent=pending.intent or triage.intent, confidence=1.0)


@dataclass(frozen=True)
class FollowUp:
    """The text and triage a turn is decided on, and the open question it answers."""

    text: str
    triage: Triage
    pending: PendingQuestion | None = None
    answered_order: str | None = None
    earlier: dict[str, Any] | None = None  # the earlier action a follow-up question asks about

    def trace(self) -> dict[str, Any]:
        if self.earlier is not None:
            return {"asks_about": self.earlier.get("action"), "picked": self.answered_order}
        if self.pending is None:
            return {"picked": self.answered_order} if self.answered_order else {}
        return {
            "answers": self.pending.asked,
            "keeps_action": self.pending.action,
            "picked": self.answered_order,
        }


def follow_up(
    snapshot: TicketSnapshot,
    clean: Callable[[str], str],
    read: Callable[[str], Triage],
    triage: Triage,
    text: str,
) -> FollowUp:
    """What a message means after earlier turns: the answer to the agent's open question (the
    clarified request keeps its action), a question about what the agent already did, or a request
    about the order the last answer concerned ("can you cancel it then?")."""
    customer = snapshot.customer_messages()
    if not customer or not any(m.author == "agent" for m in snapshot.messages):
        return FollowUp(text, triage)
    latest = strip_instructions(clean(customer[-1]))[0]
    pending = pending_question(snapshot.messages)
    if pending is not None:
        return _answer(pending, snapshot, read(latest), latest, triage, text)
    earlier = earlier_action_asked_about(latest, ticket_actions(snapshot.messages))
    if earlier is not None:
        return _asks_about(earlier, triage, text)
    return _about_previous_order(snapshot.messages, latest, triage, text)


def _answer(
    pending: PendingQuestion, snapshot: TicketSnapshot, alone: Triage, latest: str, triage: Triage, text: str
) -> FollowUp:
    """The reply to the agent's open question: the clarified request with the order it picks, unless
    it is a new request of its own (`alone` is how the reply reads by itself)."""
    if is_new_request(alone, latest, pending):
        return FollowUp(latest, alone)
    picked = chosen_option(latest, pending, snapshot.orders) or pending.order
    return FollowUp(text, continue_request(triage, pending), pending, picked)


def _asks_about(earlier: dict[str, Any], triage: Triage, text: str) -> FollowUp:
    """A question about what the agent already did: a status lookup, never a new action."""
    intent = "track_refund" if earlier["action"] == "refund" else "track_order"
    asked = replace(triage, action="order_status", intent=intent, confidence=1.0)
    return FollowUp(text, asked, answered_order=earlier["order"], earlier=earlier)


def _about_previous_order(messages: Sequence[Any], latest: str, triage: Triage, text: str) -> FollowUp:
    """A request about the order the last answer concerned: "it", or "and B2102?" after a lookup."""
    order, action = previous_order(messages)
    if order is None or mentioned_orders(latest) and triage.action != "clarify":
        return FollowUp(text, triage)
    if triage.action == "clarify" and action in TOOL_ACTIONS and mentioned_orders(latest):
        return FollowUp(text, replace(triage, action=action, confidence=1.0))  # "and B2102?"
    return FollowUp(text, triage, answered_order=order if refers_back(latest) else None)
