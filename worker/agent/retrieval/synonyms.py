"""A small hand-written vocabulary mapping customers' words to the policies' words.

The offline embedder is fitted on a dozen pages of policy text, so it cannot learn that
"money back" means "refund" or that a "parcel" is a "package". Each rule appends the
policy's own terms when a customer phrase (a regex on lower-cased text) appears. The same
expansion runs on policy chunks and on queries, so both sides stay comparable.
Bump VERSION when the rules change: it is part of the embedder name, so indexes rebuild.
"""

from __future__ import annotations

import re

VERSION = "2"

_RULES: list[tuple[str, str]] = [
    # Spanish, French and German words customers use, mapped to the (English) policies' words
    (r"reembols|devoluci|rembours|erstatt|geld zur[uü]ck", "refund"),
    (r"\bd[ií]as\b|\bplazo|\bjours?\b|d[ée]lai|\btage?n?\b|\bfrist", "window days how long"),
    (r"cancela|anula|annul|storn", "cancel"),
    (r"env[ií]o|entrega|livraison|livrer|lieferung|versand|liefer", "shipping delivery"),
    (r"contrase[ñn]a|mot de passe|passwort", "password"),
    (r"\bcuenta\b|\bcompte\b|\bkonto\b", "account"),
    (r"factura|facture|rechnung", "invoice"),
    (r"\bpago|tarjeta|paiement|\bcarte\b|zahlung|\bkarte\b", "payment card"),
    (r"da[ñn]ad|roto|cass[ée]|ab[iî]m[ée]|kaputt|besch[aä]digt", "damaged"),
    (r"sustitu|reemplaz|cambio por otro|remplac|[ée]change|ersatz|umtausch", "replacement"),
    (r"\bpersona\b|humain|conseiller|\bmensch|mitarbeiter", "person"),
    # refunds
    (r"money back|reimburs|repay|pay me back|get paid back|compensat|charge ?back", "refund"),
    (r"\breturn(ed|ing|s)?\b|send (it|them) back|give (it|them) back", "refund return"),
    (r"\bdays? (ago|late)\b|too late|deadline|how long (do|have) i", "window days"),
    (r"\bpartial|\bone (of the )?items?\b|only (one|part)|some of (the|my) items", "partial refund items"),
    (r"\bmax(imum)?\b|how many|\blimit|third|another refund|second refund", "limit"),
    (r"\bapprov|on hold|\bheld\b|\bbig (refund|order)|expensive|large (amount|refund)", "staff review hold"),
    # cancellations
    (r"\bcancel|call off|stop (my|the) order|don'?t want (it|the order)|changed my mind|abort", "cancel"),
    # replacements
    (r"broken|smashed|cracked|dented|shattered|scratched|crushed", "damaged"),
    (
        r"faulty|doesn'?t work|does not work|not working|stopped working|malfunction|dead on arrival|\bdoa\b",
        "defective",
    ),
    (
        r"wrong (size|colou?r|item|product|thing)|not what i ordered|sent me the wrong|mix(ed)?[- ]?up",
        "wrong item",
    ),
    (r"\bexchange|swap|new one|another one|\breplac", "replacement"),
    # shipping
    (r"parcel|package|packet|\bbox\b|deliver|courier|\bpost\b|\bmail(ed)?\b", "shipping delivery"),
    (
        r"abroad|overseas|internation|another country|outside (the )?(us|usa|country)|worldwide|ship to \w+",
        "international",
    ),
    (
        r"\bwhere is|where'?s my|hasn'?t (arrived|come)|not (arrived|received)|still waiting|\btrack",
        "tracking status",
    ),
    (r"\blost\b|missing|never (arrived|came|got)|stuck|late\b|delayed|overdue", "lost late parcel"),
    (r"customs|duties|dut(y|ies)|import tax|\bvat\b", "import duties taxes"),
    (r"\bups\b|\busps\b|\bdhl\b|fedex|carrier|courier", "carrier"),
    (r"\bstatus", "order statuses"),
    (r"how long|how fast|when will|arrive|eta\b|shipping time|speed", "delivery times"),
    # payments
    (r"\bpay(ing|ment)?\b|credit card|debit card|visa|mastercard|amex|paypal|gift ?card", "payment method"),
    (r"\bcurrenc|dollars?|euros?|\busd\b|\beur\b|exchange rate", "currency"),
    (r"card number|card details|\bcvv\b|security code", "card security"),
    (r"show up|appear|on my statement|bank account|not received (the|my) (money|refund)", "refund takes"),
    # accounts
    (r"log ?in|sign ?in|locked out|can'?t (get|log) in", "login password account"),
    (r"forgot|reset|new password|password", "password reset"),
    (r"sign ?up|register|create (an )?account|open (an )?account|new account", "sign up account"),
    (
        r"newsletter|marketing|promo|spam|mailing list|too many emails|stop (the )?emails",
        "newsletter unsubscribe email preferences",
    ),
    (r"unsubscri|opt ?out", "unsubscribe"),
    (r"close (my )?account|delete (my )?account|remove (my )?account|deactivat", "deleting account"),
    (
        r"change (my )?(e-?mail|name|address)|update (my )?(e-?mail|name|details)",
        "change email name account settings",
    ),
    # escalation
    (
        r"human|real person|someone|somebody|agent|representative|manager|supervisor"
        r"|talk to|speak to|call me",
        "person team",
    ),
    (
        r"complain|unhappy|disappointed|terrible|awful|unacceptable|angry|furious|worst|ridiculous",
        "complaint unhappy",
    ),
    (r"lawyer|legal|sue\b|court|attorney|trading standards", "legal action"),
    (r"respon(d|se)|reply|get back to me|how quickly", "response time"),
    # privacy
    (
        r"\bgdpr\b|personal (data|information|info)|my data|my information|what do you (know|store|keep)",
        "privacy data",
    ),
    (r"forget me|erase|wipe|right to be forgotten", "data deletion"),
    (r"sell (my )?(data|information)|share (my )?(data|information)|third part", "who sees data sell"),
    (r"redact|hidden|hide|mask|sensitive", "redacts sensitive"),
    (r"how long (do|will) you (keep|store)|retention|retain", "how long keep data"),
]

_COMPILED = [(re.compile(pattern), expansion) for pattern, expansion in _RULES]


def expand(text: str) -> str:
    """Lower-case `text` and append the policy terms its customer phrases stand for."""
    lowered = text.lower()
    extra = [expansion for pattern, expansion in _COMPILED if pattern.search(lowered)]
    return f"{lowered} {' '.join(extra)}" if extra else lowered
