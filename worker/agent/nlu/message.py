"""The shape of a customer's message: pleasantries around it, the sentence that carries the ask.

Real support e-mails wrap one request in a greeting, some story and a sign-off ("Hi there, ...
I'd like a refund please. Thanks, Maria"). `clean` drops the wrapping so it cannot outweigh the
request in a long message, and `focus` picks the sentences that ask for something (or the last
one), which the classifier reads as a feature block of its own.
"""

from __future__ import annotations

import re

# A name closing a sign-off: "Maria", "H. Brandt", "Mr. Koh", or the redactor's [NAME].
_NAME = r"(?-i:\[NAME\]|\[name\]|(?:[A-Z]\.|[A-Z][a-z'-]+\.?)(?:\s+(?:[A-Z]\.|[A-Z][a-z'-]+)){0,2})"
_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|hallo|hola|howdy|greetings|good\s+(?:morning|afternoon|evening|day))"
    r"(?:\s+(?:there|team|all|guys|folks|everyone|support|again|sir|madam))*"
    rf"(?:\s+{_NAME})?\s*(?:[,!.:;-]+|\n|\s(?=\S))"
    r"|dear\b[^,\n!.:]{0,40}[,\n!.:]|to\s+whom\s+it\s+may\s+concern\W*)",
    re.IGNORECASE,
)
_FILLER = re.compile(
    r"(?:^|(?<=[.!?\n]))\s*(?:i\s+)?hope\s+(?:you(?:'re|\s+are)?|this\s+(?:e-?mail|message)\s+finds\s+you)"
    r"[^.!?\n]{0,30}[.!?\n]?",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:^|(?<=[.!?\n,]))\s*(?i:(?:many\s+|thanks?\s+)?(?:thanks|thank\s+you|thx|ty|cheers|regards|best|bw|br|"
    r"kind\s+regards|best\s+regards|warm\s+regards|best\s+wishes|sincerely|yours(?:\s+(?:faithfully|sincerely|"
    r"truly))?|respectfully|take\s+care|have\s+a\s+(?:nice|good|great)\s+day|sent\s+from\s+my\s+\w+)"
    r"(?:\s+(?:a\s+lot|so\s+much|very\s+much|in\s+advance|for\s+your\s+(?:help|time)|and\s+regards))?)"
    rf"[\s,.!-]*(?:{_NAME}[\s.!]*)?$"
    # a name alone on the last line, under a sign-off already removed
    rf"|(?<=\n){_NAME}\s*$",
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")
# What makes a sentence a request rather than background: a question, a polite or direct ask,
# or a verb of the actions the agent takes.
_ASK = re.compile(
    r"\?|\b(?:please|pls|plz|kindly|can|could|would|may|want|wanna|like|need|wish|expect|demand|rather|"
    r"prefer|wondering|is\s+it|is\s+there|do\s+you|does|let\s+me|give|send|refund|"
    r"reimburse|cancel|stop|return|replace|exchange|swap|track|call|speak|talk|connect|sue|dispute|"
    r"chargeback|delete|change|update|unsubscribe)\b",
    re.IGNORECASE,
)
_SHORT = 2  # messages of this many sentences or fewer are their own focus


def clean(text: str) -> str:
    """The message without its greeting, pleasantries and sign-off (the original if nothing is left)."""
    body = _FILLER.sub(" ", text.strip())
    body = _GREETING.sub("", body, count=1).strip()
    previous = None
    while body and body != previous:
        previous, body = body, _SIGN_OFF.sub("", body).strip()
    return body if re.search(r"\w", body) else text.strip()


def sentences(text: str) -> list[str]:
    """The sentences (or lines) of a text, stripped, without empty ones."""
    return [s.strip() for s in _SENTENCE_BREAK.split(text) if re.search(r"\w", s)]


def focus(text: str) -> str:
    """The sentences of a cleaned message that ask for something; else its last sentence."""
    parts = sentences(text)
    if len(parts) <= _SHORT:
        return text
    asks = [s for s in parts if _ASK.search(s)]
    return " ".join(asks) if asks else parts[-1]
