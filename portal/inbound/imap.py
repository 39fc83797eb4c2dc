"""Take mail in from the support mailbox over IMAP: fetch, hand to `receive`, then mark or move it.

At least once, deduplicated: a message is marked Seen (or moved to INBOUND_IMAP_DONE_FOLDER) only after
`receive` has committed what it did, so a crash in between leaves it to the next fetch, whose `receive`
finds its Message-ID already recorded and does nothing again. Messages are read with BODY.PEEK, which
does not set Seen by itself. No database transaction is open during an IMAP command (receive commits).
"""

from __future__ import annotations

import imaplib
import logging
import ssl
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from portal.config import settings
from portal.config_types import InboundSettings
from portal.extensions import db
from portal.inbound.process import receive

log = logging.getLogger(__name__)


class MailboxNotConfigured(RuntimeError):
    """INBOUND_IMAP_HOST is not set."""


@dataclass
class FetchReport:
    """What one fetch did: messages per outcome, and those left for the next fetch after an error."""

    outcomes: Counter = field(default_factory=Counter)
    failed: int = 0

    @property
    def fetched(self) -> int:
        return sum(self.outcomes.values()) + self.failed

    def summary(self) -> str:
        parts = [f"{name} {count}" for name, count in sorted(self.outcomes.items())]
        return f"fetched {self.fetched}" + "".join(f", {p}" for p in parts) + f", failed {self.failed}"


def fetch_mailbox(limit: int | None = None) -> FetchReport:
    """Take in up to `limit` (INBOUND_BATCH) waiting messages from the configured mailbox."""
    inbound = settings().inbound
    if not inbound.imap_host:
        raise MailboxNotConfigured("INBOUND_IMAP_HOST is not set")
    done_folder = inbound.imap_done_folder
    report = FetchReport()
    db.session.close()  # no transaction is held across the IMAP conversation
    with connect(inbound) as imap:
        _select(imap, inbound.imap_folder, done_folder)
        for uid in _waiting(imap, moving=bool(done_folder))[: limit or inbound.batch]:
            raw = _fetch(imap, uid)
            if raw is not None and _take_in(raw, report):
                _mark_done(imap, uid, done_folder)
        if done_folder and not _can_move(imap):
            imap.expunge()
    return report


@contextmanager
def connect(inbound: InboundSettings) -> Iterator[imaplib.IMAP4]:
    """A logged-in IMAP connection (TLS unless INBOUND_IMAP_SSL is off and the server has no STARTTLS)."""
    host, port, timeout = inbound.imap_host, inbound.imap_port, inbound.imap_timeout
    if inbound.imap_ssl:
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(), timeout=timeout)
    else:
        imap = imaplib.IMAP4(host, port, timeout=timeout)
        if "STARTTLS" in imap.capabilities:
            imap.starttls(ssl.create_default_context())
    try:
        imap.login(inbound.imap_user or "", inbound.imap_password or "")
        yield imap
    finally:
        with suppress(imaplib.IMAP4.error, OSError):  # the connection is gone already
            imap.logout()


def quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _select(imap: imaplib.IMAP4, folder: str, done_folder: str | None) -> None:
    if done_folder:
        imap.create(quote(done_folder))  # NO when it exists already: fine
    status, data = imap.select(quote(folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {folder!r}: {data!r}")


def _waiting(imap: imaplib.IMAP4, moving: bool) -> list[bytes]:
    # When processed mail is moved away, everything left is waiting, even what a person opened in webmail.
    criteria = "UNDELETED" if moving else "UNSEEN UNDELETED"
    status, data = imap.uid("SEARCH", criteria)
    if status != "OK":
        raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
    return sorted((data[0] or b"").split(), key=int)


def _fetch(imap: imaplib.IMAP4, uid: bytes) -> bytes | None:
    status, data = imap.uid("FETCH", uid, "(BODY.PEEK[])")
    for item in data or []:
        if status == "OK" and isinstance(item, tuple) and len(item) == 2:
            return item[1]
    log.warning("imap uid %s: no message body returned (%s)", uid, status)
    return None


def _take_in(raw: bytes, report: FetchReport) -> bool:
    """Receive one message; False (left in the mailbox for the next fetch) when that failed."""
    try:
        result = receive(raw)
    except Exception:
        db.session.rollback()
        report.failed += 1
        log.exception("inbound message could not be taken in; it stays in the mailbox for the next fetch")
        return False
    finally:
        db.session.close()
    report.outcomes[result.outcome] += 1
    return True


def _can_move(imap: imaplib.IMAP4) -> bool:
    return "MOVE" in imap.capabilities


def _mark_done(imap: imaplib.IMAP4, uid: bytes, done_folder: str | None) -> None:
    if not done_folder:
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    elif _can_move(imap):
        imap.uid("MOVE", uid, quote(done_folder))
    else:  # RFC 3501 without MOVE: copy, then delete (expunged at the end of the fetch)
        imap.uid("COPY", uid, quote(done_folder))
        imap.uid("STORE", uid, "+FLAGS", "(\\Seen \\Deleted)")
