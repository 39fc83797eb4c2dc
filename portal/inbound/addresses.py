"""The per-ticket reply address: support+T-ABCD2345.<signature>@domain.

The signature is an HMAC of the reference under the app's SECRET_KEY, so only someone who received one of
our messages about the ticket knows the address: guessing a reference is not enough to post into it.
It is lower-case base32 because mail systems may change the case of an address's local part.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app

from portal.config import settings

SALT = b"supportops.reply-address.v1:"
SIGNATURE_LENGTH = 16  # 80 bits
_TAG = re.compile(r"^(?P<reference>t-[a-z0-9]{4,12})\.(?P<signature>[a-z2-7]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class ReplyTag:
    """The ticket named by a reply address, and whether its signature is ours."""

    reference: str
    valid: bool


def mailbox_address() -> str:
    """The support mailbox replies go to: MAIL_REPLY_ADDRESS, else the sender's address."""
    configured = settings().inbound.reply_address or settings().mail.default_sender
    return parseaddr(configured)[1].lower()


def signature(reference: str) -> str:
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), SALT + reference.encode(), hashlib.sha256)
    return base64.b32encode(digest.digest()).decode().lower()[:SIGNATURE_LENGTH]


def reply_address(reference: str) -> str | None:
    """The Reply-To for the ticket's messages; None when MAIL_REPLY_ADDRESS is not set."""
    if not settings().inbound.reply_address:
        return None
    local, _, domain = mailbox_address().partition("@")
    return f"{local}+{reference}.{signature(reference)}@{domain}"


def read_tag(address: str) -> ReplyTag | None:
    """The ticket tag in one of our plus-addresses; None for any other address."""
    local, _, domain = address.strip().lower().rpartition("@")
    base_local, _, base_domain = mailbox_address().partition("@")
    name, plus, tag = local.partition("+")
    if domain != base_domain or name != base_local or not plus:
        return None
    match = _TAG.match(tag)
    if match is None:
        return ReplyTag(reference="", valid=False)
    reference = match["reference"].upper()
    valid = hmac.compare_digest(match["signature"].lower(), signature(reference))
    return ReplyTag(reference=reference, valid=valid)
