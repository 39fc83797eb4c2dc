"""Rule-based signals read from a message: sentiment, reasons, hand-off wishes and priority.

They complement the learned action classifier with things a keyword can decide reliably and
that must be explainable to staff (why a ticket is P1, why it went to a person).
"""

from __future__ import annotations

import math
import re

from tools import escalation_policy

_PERSON = re.compile(
    r"\b(?:human(?:\s+being|\s+agent)?|real\s+(?:person|people|agent)|live\s+(?:agent|person|chat)|"
    r"manager|supervisor|representative|customer\s+service\s+rep|operator|someone\s+real|"
    r"actual\s+(?:person|human|people)|not\s+(?:a|the|your)\s+(?:bot|robot|ai|machine)|"
    r"member\s+of\s+(?:your|the)\s+(?:staff|team)|staff\s+member|team\s+member)\b"
    r"|\b(?:speak|talk|chat|connect|transfer|put|pass|escalate|forward|hand)\w*\b[^.?!]{0,25}\b"
    r"(?:person|someone|somebody|agent|staff|team|people|employee)\b"
    r"|\b(?:call|phone|ring)\s+me\b",
    re.IGNORECASE,
)
_PERSON_NEGATED = re.compile(
    r"\b(?:don'?t|do not|no need|no|not|never|without)\b[^.?!,]{0,20}"
    r"\b(?:human|person|manager|someone|agent)",
    re.IGNORECASE,
)
_LEGAL = re.compile(
    r"\b(?:lawyers?|attorneys?|solicitors?|legal\s+(?:action|steps|proceedings|advice|team)|"
    r"sue|suing|lawsuit|court|small\s+claims|trading\s+standards|consumer\s+(?:protection|rights|"
    r"authority|agency|ombudsman)|ombudsman|better\s+business\s+bureau|bbb|ftc|attorney\s+general|"
    r"report\s+you|police)\b",
    re.IGNORECASE,
)
_CHARGEBACK = re.compile(
    r"\bcharge[\s-]?backs?\b|\bdispute\b[^.?!]{0,40}\b(?:charge|payment|transaction|bank|card|paypal)"
    r"|\b(?:bank|card\s+(?:company|issuer)|paypal)\b[^.?!]{0,30}\b(?:dispute|reverse|claw|claim)"
    r"|\b(?:contact|call|tell|ask|going\s+to|will\s+go\s+to|go\s+to)\s+(?:my|the)\s+bank\b"
    r"|\b(?:reverse|cancel)\s+the\s+(?:charge|payment)\s+(?:with|through|via)\s+my\s+(?:bank|card)"
    r"|\bopen(?:ing)?\s+a\s+(?:paypal\s+)?(?:dispute|claim)\b",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"\b(?:complain\w*|complaint|unacceptable|disgrace\w*|ridiculous|appalling|outrageous|"
    r"terrible|horrible|awful|worst|pathetic|useless|incompetent|shocking|joke|rip[\s-]?off|"
    r"scam\w*|never\s+(?:again|buying|ordering|shop)|fed\s+up|sick\s+(?:and\s+tired|of)|"
    r"waste\s+of\s+(?:time|money)|nobody\s+(?:answers|responds|replies|helps|cares)|"
    r"no\s+one\s+(?:answers|responds|replies|helps|cares|has)|rude|poor\s+service|bad\s+service|"
    r"very\s+disappointed|extremely\s+disappointed|so\s+disappointed)\b",
    re.IGNORECASE,
)
_DANGER = re.compile(
    r"\b(?:fraud\w*|unauthori[sz]ed|stolen|hacked|identity\s+theft|someone\s+(?:else\s+)?used\s+my|"
    r"fire|caught\s+fire|burn\w*|smok\w*|sparks?|sparking|electric\s+shock|shocked\s+me|explod\w*|"
    r"melt\w*|injur\w*|hurt|hospital|dangerous|unsafe|safety|choking|poison\w*|allergic)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(
    r"\b(?:charged|overcharged|double[\s-]charged|billed|billing|payment|paid|money)\b",
    re.IGNORECASE,
)

_REASONS = {
    "wrong": re.compile(
        r"\bwrong\b|\binstead\s+of\b|\bordered\b[^.!?]{0,40}\b(?:but|and)\s+(?:i\s+)?(?:got|received|"
        r"you\s+sent|was\s+sent|came|it\s+came)\b|\bnot\s+what\s+i\s+(?:ordered|bought|paid\s+for)\b|"
        r"\b(?:different|another)\s+(?:item|product|model|colou?r|size|one)\s+(?:than|from)\b|"
        r"\bsomeone\s+else'?s\b|\bmixed\s+up\b|\bincorrect\s+(?:item|size|colou?r|model|product)\b|"
        r"\bnot\s+the\s+(?:one|item|size|colou?r|model)\s+i\b",
        re.IGNORECASE,
    ),
    "defective": re.compile(
        r"\b(?:defect\w*|faulty|malfunction\w*|doesn'?t\s+work|does\s+not\s+work|don'?t\s+work|"
        r"not\s+working|stopped\s+working|won'?t\s+(?:turn|switch|power|charge|start|work|connect|pair)|"
        r"will\s+not\s+(?:turn|switch|work|charge)|dead\s+pixels?|dead\s+on\s+arrival|doa|"
        r"doesn'?t\s+(?:turn|switch|charge|power|connect|pair)|no\s+sound|leak\w*|glitch\w*|"
        r"broke\s+(?:down|after)|keeps\s+(?:crashing|turning|restarting)|flicker\w*|overheat\w*|"
        r"dead|not\s+functioning|out\s+of\s+order)\b",
        re.IGNORECASE,
    ),
    "damaged": re.compile(
        r"\b(?:damag\w*|broken|broke|crack\w*|smash\w*|shatter\w*|dent\w*|crush\w*|torn|ripped|"
        r"scratch\w*|bent|chipped|in\s+pieces|destroyed|squashed|stained|snapped|busted)\b",
        re.IGNORECASE,
    ),
}

_POSITIVE = {
    "thanks": 1.0,
    "thank": 1.0,
    "thx": 0.8,
    "please": 0.3,
    "pls": 0.2,
    "great": 1.0,
    "love": 1.0,
    "appreciate": 1.0,
    "appreciated": 1.0,
    "happy": 0.8,
    "awesome": 1.0,
    "kind": 0.6,
    "kindly": 0.4,
    "excellent": 1.2,
    "perfect": 1.0,
    "wonderful": 1.0,
    "helpful": 0.8,
    "nice": 0.6,
    "good": 0.4,
    "glad": 0.7,
    "cheers": 0.6,
    "lovely": 0.8,
}
_NEGATIVE = {
    "angry": 1.5,
    "furious": 2.0,
    "livid": 2.0,
    "ridiculous": 1.5,
    "terrible": 1.5,
    "horrible": 1.5,
    "awful": 1.5,
    "worst": 2.0,
    "scam": 2.0,
    "scammers": 2.0,
    "fraud": 1.5,
    "useless": 1.5,
    "disgusting": 2.0,
    "disgraceful": 2.0,
    "unacceptable": 1.5,
    "joke": 1.0,
    "pathetic": 2.0,
    "incompetent": 2.0,
    "disappointed": 1.0,
    "disappointing": 1.0,
    "frustrated": 1.2,
    "frustrating": 1.2,
    "annoyed": 1.0,
    "annoying": 1.0,
    "upset": 1.0,
    "hate": 1.5,
    "wtf": 2.0,
    "damn": 1.2,
    "hell": 1.0,
    "crap": 1.5,
    "shit": 2.0,
    "bullshit": 2.5,
    "fuck": 2.5,
    "fucking": 2.5,
    "idiots": 2.5,
    "idiot": 2.0,
    "stupid": 1.5,
    "liars": 2.0,
    "lying": 1.5,
    "thieves": 2.5,
    "steal": 1.5,
    "stole": 1.5,
    "rubbish": 1.5,
    "garbage": 1.5,
    "outrageous": 1.8,
    "appalling": 1.8,
    "shocking": 1.2,
    "bad": 0.8,
    "poor": 0.8,
    "broken": 0.5,
    "damaged": 0.5,
    "wrong": 0.4,
    "late": 0.4,
    "still": 0.3,
    "never": 0.5,
    "sucks": 1.5,
    "lawyer": 1.0,
    "sue": 1.0,
    "complaint": 0.8,
    "rude": 1.2,
    "fed": 0.5,
    "nightmare": 1.5,
    "sick": 0.8,
    "waste": 1.0,
    "ripoff": 1.8,
    "problem": 0.3,
    "unhappy": 1.0,
    "not": 0.1,
    "again": 0.3,
    "chargeback": 1.0,
    "waiting": 0.4,
    "ignored": 1.2,
}


def wants_person(text: str) -> bool:
    """Whether the customer asks to deal with a person rather than the assistant."""
    match = _PERSON.search(text)
    return bool(match) and not _PERSON_NEGATED.search(text)


def escalation_reason(text: str, action: str) -> str | None:
    """Why a ticket goes to a person, strongest reason first; None when the action is not escalate
    and nothing forces a hand-off."""
    if _LEGAL.search(text):
        return "legal_threat"
    if _CHARGEBACK.search(text):
        return "chargeback"
    if wants_person(text):
        return "requested_human"
    if action != "escalate":
        # "Terrible quality, refund me" is a refund, not a complaint about the service.
        return None
    return "complaint" if _COMPLAINT.search(text) else "out_of_scope"


def replacement_reason(text: str) -> str | None:
    """damaged, defective or wrong (the first one the customer mentions), else None."""
    hits = [(m.start(), reason) for reason, rx in _REASONS.items() if (m := rx.search(text))]
    return min(hits)[1] if hits else None


def sentiment(text: str) -> float:
    """Lexicon sentiment in -1..1: angry or abusive words, shouting and '!!!' push it down."""
    words = re.findall(r"[a-z']+", text.lower())
    score = sum(_POSITIVE.get(w, 0.0) for w in words) - sum(_NEGATIVE.get(w, 0.0) for w in words)
    shouted = [w for w in re.findall(r"\b[A-Z]{3,}\b", text) if w not in {"USD", "EUR", "GBP", "ORD"}]
    score -= 0.6 * min(len(shouted), 5)
    bangs = len(re.findall(r"!{2,}|\?!|!\?", text))
    # Repeated exclamation marks amplify whatever the words say, and lean negative in support.
    score += (0.5 if score > 0 else -0.8) * min(bangs, 3)
    return round(math.tanh(score / 3.0), 3)


def priority(action: str, reason: str | None, mood: float, text: str) -> str:
    """The ticket's priority under the escalation policy (tools.escalation_policy), from the words."""
    danger, money = bool(_DANGER.search(text)), bool(_MONEY.search(text))
    return escalation_policy.priority(action, reason, mood, danger=danger, money=money)


# A note that only thanks or greets ("thanks, that's all!", "hi there") asks for nothing: no request
# word, no question, no order number.
_COURTESY = re.compile(
    r"^(?:(?:hi|hello|hey|hiya|morning|evening|there|everyone|all|team|dear \w+|"
    r"good (?:morning|afternoon|evening)|"
    r"(?:i )?hope (?:you(?:'re| are) (?:well|doing well|having a (?:good|nice|great) day)|all is well)|"
    r"(?:best|kind|warm)? ?regards|best|cheers,? \w+|hola|buenas|bonjour|salut|hallo|guten tag|"
    r"thanks?(?: you)?(?: so much| very much| a lot)?|"
    r"thx|ty|cheers|great|perfect|awesome|brilliant|wonderful|ok(?:ay)?|cool|all good|got it|"
    r"that'?s (?:all|it|great|perfect|everything)|that (?:was|is) (?:all|it|quick|fast|helpful)|"
    r"you(?:'?ve| have) been (?:very |really |so )?helpful|much appreciated|appreciate it|"
    r"have a (?:nice|good|great) (?:day|one|weekend)|all sorted|problem solved|"
    r"gracias|merci(?: beaucoup)?|danke(?: schön| sehr)?|vielen dank)[\s,.!:;)\-]*)+$",
    re.IGNORECASE,
)


def courtesy_only(text: str) -> bool:
    """Whether the message only thanks or greets, asking for nothing."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    # a sign-off's name on a line of its own ("Claire", "[NAME]") is part of the courtesy
    lines = [line for line in lines if not _SIGNATURE_NAME.match(line)] if len(lines) > 1 else lines
    return bool(lines) and len(text) <= 200 and all(_COURTESY.match(line) for line in lines)


_SIGNATURE_NAME = re.compile(r"^(?:[A-Z][a-z]{1,20}|\[name\])$", re.IGNORECASE)
