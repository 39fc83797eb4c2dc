"""Finer intent labels under each action, e.g. refund/damaged_item or answer/shipping.

For `answer`, the suffix is the stem of the policy page most likely to hold the answer
(policies/<stem>.md), a hint for retrieval and citations.
"""

from __future__ import annotations

import re

_TOPICS: dict[str, tuple[tuple[str, float], ...]] = {
    "shipping": (
        (
            r"\bship\w*|\bdeliver\w*|\bcarrier|\bcourier|\binternational\w*|\bcountr\w*|\bcustoms\b|"
            r"\bduties\b|\bimport\b|\bdhl\b|\bfedex\b|\bups\b|\busps\b|\bexpress\b|\btrack\w*|\babroad\b|"
            r"\bparcel|\bpostage\b|\boverseas\b|\bpending\b|\bstatus(?:es)?\b",
            1.0,
        ),
    ),
    # "N days after delivery", "14 days to return": any number, the window is configured (REFUND_WINDOW_DAYS).
    "refunds": (
        (
            r"\brefund\w*|\bmoney\s+back\b|\breturn\w*|\bwindow\b|\bpartial\b|"
            r"\b\d+\s+days?\s+(?:after|from|since|of|to\s+(?:return|ask|send|get))\b",
            1.5,
        ),
    ),
    "payments": (
        (
            r"\bpay\w*|\bcards?\b|\bvisa\b|\bmastercard\b|\bamex\b|\bamerican\s+express\b|\bpaypal\b|"
            r"\bgift\s*card|\bcurrenc\w*|\bbusiness\s+days\b|\bcredit\b|\bdebit\b|\bbank\b",
            1.0,
        ),
        (
            r"\bhow\s+long\b[^?.!]{0,60}\b(?:refund|money)|\b(?:refund\w*|money)\b[^?.!]{0,30}\b"
            r"(?:take|appear|show|arrive|back\s+on)",
            2.0,
        ),
    ),
    "cancellations": ((r"\bcancel\w*", 1.5),),
    "replacements": (
        (
            r"\breplace\w*|\bexchange\w*|\bswap\w*|\bdamaged\b|\bdefective\b|\bwrong\s+(?:item|size)|"
            r"\bsend\s+(?:it\s+)?back\b",
            1.2,
        ),
        (r"\bsend\b[^?.!]{0,25}\bback\b|\breturn\s+the\s+(?:faulty|damaged|broken|wrong|defective)", 2.0),
    ),
    "accounts": (
        (r"\bpassword\b|\blog\s*in\b|\bsign\s*(?:up|in)\b|\baccount\b|\bregister\w*|\busername\b", 1.2),
        (r"\bnewsletter\b|\bunsubscribe\w*|\bemails?\b|\bmarketing\b|\bsubscription\b|\bopt\s+out\b", 3.0),
    ),
    "privacy": (
        (
            r"\bdata\b|\bprivacy\b|\bgdpr\b|\bpersonal\s+information\b|\bstore\w*\b|\bkeep\b|\bsell\b|"
            r"\bdelete\w*\b",
            1.0,
        ),
    ),
    "escalation": (
        (
            r"\bperson\b|\bhuman\b|\bstaff\b|\bteam\b|\bcomplain\w*|\bresponse\s+time\b|\bhours\b|"
            r"\bmanager\b|\bsomeone\b",
            1.0,
        ),
    ),
}
_COMPILED = {
    topic: tuple((re.compile(rx, re.IGNORECASE), weight) for rx, weight in rules)
    for topic, rules in _TOPICS.items()
}
_TOPIC_ORDER = tuple(_TOPICS)

_NOT_RECEIVED = re.compile(
    r"\bnever\s+(?:arrived|came|got|received|showed)|\bhas\s*n[o']t\s+(?:arrived|come)|"
    r"\bhave\s*n[o']t\s+(?:received|got)|\bnot\s+(?:arrived|received|delivered)|\bmissing\b|\blost\b",
    re.IGNORECASE,
)
_CHANGED_MIND = re.compile(
    r"\bchanged\s+my\s+mind|\bno\s+longer\s+(?:need|want)|\bdon'?t\s+(?:need|want)|\bby\s+(?:mistake|accident)|"
    r"\bcheaper\b|\bdoesn'?t\s+fit|\btoo\s+(?:small|big|large|tight|loose)\b",
    re.IGNORECASE,
)
_NOT_AS_DESCRIBED = re.compile(
    r"\bnot\s+as\s+(?:described|advertised|pictured)|\bnothing\s+like|\bnot\s+what\s+i\s+expected|"
    r"\bquality\b|\bcheap\w*\b|\bfake\b",
    re.IGNORECASE,
)
_TRACKING = re.compile(r"\btrack\w*", re.IGNORECASE)
_WHEN = re.compile(r"\bwhen\b|\beta\b|\bhow\s+long\b|\bdate\b", re.IGNORECASE)
_GREETING = re.compile(r"^\W*(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|yo|hiya)\b", re.IGNORECASE)


def answer_topic(text: str) -> str:
    """The policy page stem most likely to answer a question (ties go to the earlier topic)."""
    scores = {
        topic: sum(weight * len(rx.findall(text)) for rx, weight in rules)
        for topic, rules in _COMPILED.items()
    }
    best = max(_TOPIC_ORDER, key=lambda t: (scores[t], -_TOPIC_ORDER.index(t)))
    return best if scores[best] > 0 else "general"


def _refund_intent(text: str, reason: str | None) -> str:
    if reason:
        return f"{reason}_item"
    if _NOT_RECEIVED.search(text):
        return "not_received"
    if _NOT_AS_DESCRIBED.search(text):
        return "not_as_described"
    return "changed_mind" if _CHANGED_MIND.search(text) else "refund_request"


def _status_intent(text: str) -> str:
    if _TRACKING.search(text):
        return "tracking"
    if _NOT_RECEIVED.search(text):
        return "not_received"
    return "delivery_date" if _WHEN.search(text) else "where_is_my_order"


def fine_intent(action: str, text: str, reason: str | None, escalation: str | None) -> str:
    """`action/detail` label for the trace and the staff desk."""
    if action == "refund":
        detail = _refund_intent(text, reason)
    elif action == "replacement":
        detail = f"{reason}_item" if reason else "replacement_request"
    elif action == "cancel":
        detail = "changed_mind" if _CHANGED_MIND.search(text) else "cancel_order"
    elif action == "order_status":
        detail = _status_intent(text)
    elif action == "answer":
        detail = answer_topic(text)
    elif action == "escalate":
        detail = escalation or "out_of_scope"
    else:
        detail = "greeting" if _GREETING.search(text) else "vague"
    return f"{action}/{detail}"
