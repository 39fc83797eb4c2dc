"""The new text of an inbound message: its plain-text body without the quoted history and the signature.

Quote and signature detection is mail-parser-reply's (multi-language reply headers such as "On ... wrote:",
"Le ... a écrit :", Outlook's "From:/Sent:" block, "-- " and "Sent from my ..." signatures, sign-offs such
as "Best regards"). One rule is ours: a trailing block of "> " lines with no reply header above it is
quoted history too (the library keeps it).
"""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser

from mailparser_reply import EmailMessage as ParsedReply
from mailparser_reply.constants import MAIL_LANGUAGES

BLOCK_TAGS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "blockquote", "table"})
VOID_TAGS = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
SKIPPED_TAGS = frozenset({"blockquote", "style", "script", "head"})


def body_text(message: EmailMessage) -> str:
    """The plain-text body (HTML turned into text when that is all there is); '' when there is none."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _decoded(part)
    return html_to_text(content) if part.get_content_type() == "text/html" else content


def _decoded(part: EmailMessage) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset: keep what can be read
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


class _TextExtractor(HTMLParser):
    """Text of an HTML body, with line breaks at block elements; quoted blocks (blockquote) are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs) -> None:
        if tag in VOID_TAGS:  # no end tag follows
            self.parts.append("\n" if tag == "br" else "")
            return
        quoted = tag in SKIPPED_TAGS or "gmail_quote" in (dict(attrs).get("class") or "")
        if self.skip_depth or quoted:
            self.skip_depth += 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in VOID_TAGS:
            return
        if self.skip_depth:
            self.skip_depth -= 1
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data) -> None:
        if not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    kept = [line for i, line in enumerate(lines) if line or (i and lines[i - 1])]  # one blank line at most
    return "\n".join(kept).strip()


def new_text(body: str, languages: list[str]) -> str:
    """The reply's own text: quoted history, reply headers, signatures and disclaimers removed."""
    known = [code for code in languages if code in MAIL_LANGUAGES] or ["en"]
    parsed = ParsedReply(text=body, languages=known, keep_hyphen_lists=True).read()
    text = parsed.replies[0].body if parsed.replies else body
    return _without_trailing_quote(text).strip()


def _without_trailing_quote(text: str) -> str:
    lines = text.splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines)
