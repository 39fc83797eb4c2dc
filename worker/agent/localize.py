"""Offline replies in the customer's language (Spanish, French, German) from the outcome's data.

English replies are composed from the tools' own messages (compose.py); for the other languages the
reply is built here from the same structured outcome (tool, decision, order, amount, status), so no
machine translation is needed. The policy passage stays in the citation box, in English, until the
policies are translated. Anything not covered here falls back to the English reply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from worker.agent.backends.base import BackendResult, ToolOutcome, action_of_tool

_FRAME = {
    "es": ("Hola:", "Si necesita algo más, responda a este mensaje."),
    "fr": ("Bonjour,", "Si vous avez besoin d'autre chose, répondez à ce message."),
    "de": (
        "Hallo,",
        "Wenn Sie noch etwas brauchen, antworten Sie einfach auf diese Nachricht.",
    ),
}
_STATUS = {
    "es": {
        "pending": "El pedido {n} se está preparando y todavía no ha salido.",
        "shipped": "El pedido {n} ya ha salido{track}.",
        "delivered": "El pedido {n} fue entregado.",
        "cancelled": "El pedido {n} fue cancelado.",
        "refunded": "El pedido {n} fue reembolsado.",
    },
    "fr": {
        "pending": "La commande {n} est en préparation et n'est pas encore partie.",
        "shipped": "La commande {n} a été expédiée{track}.",
        "delivered": "La commande {n} a été livrée.",
        "cancelled": "La commande {n} a été annulée.",
        "refunded": "La commande {n} a été remboursée.",
    },
    "de": {
        "pending": "Die Bestellung {n} wird vorbereitet und ist noch nicht versandt.",
        "shipped": "Die Bestellung {n} ist versandt{track}.",
        "delivered": "Die Bestellung {n} wurde zugestellt.",
        "cancelled": "Die Bestellung {n} wurde storniert.",
        "refunded": "Die Bestellung {n} wurde erstattet.",
    },
}
_TRACKING = {
    "es": " con {carrier}; el número de seguimiento es {number}",
    "fr": " avec {carrier} ; le numéro de suivi est {number}",
    "de": " mit {carrier}; die Sendungsnummer ist {number}",
}
_ACTIONS = {
    "es": {
        (
            "refund",
            "done",
        ): "He emitido el reembolso de {amount} del pedido {n} a su método de pago original.",
        (
            "refund",
            "held",
        ): "El reembolso de {amount} del pedido {n} necesita la aprobación de nuestro equipo; "
        "le escribiremos en cuanto lo revisen.",
        ("refund", "denied"): "Lo siento, pero no puedo reembolsar el pedido {n} según nuestra política.",
        ("cancel", "done"): "He cancelado el pedido {n}; {amount} vuelven a su método de pago original.",
        ("cancel", "denied"): "Lo siento, pero el pedido {n} ya no se puede cancelar.",
        ("replacement", "done"): "He enviado un reemplazo para el pedido {n}.",
        ("replacement", "denied"): "Lo siento, pero no puedo enviar un reemplazo para el pedido {n}.",
    },
    "fr": {
        ("refund", "done"): "J'ai effectué le remboursement de {amount} pour la commande {n} "
        "sur votre moyen de paiement d'origine.",
        ("refund", "held"): "Le remboursement de {amount} pour la commande {n} doit être approuvé par notre "
        "équipe ; nous vous écrirons dès qu'elle l'aura examiné.",
        (
            "refund",
            "denied",
        ): "Je suis désolé, mais je ne peux pas rembourser la commande {n} selon notre politique.",
        ("cancel", "done"): "J'ai annulé la commande {n} ; {amount} vous seront rendus sur votre moyen de "
        "paiement d'origine.",
        ("cancel", "denied"): "Je suis désolé, mais la commande {n} ne peut plus être annulée.",
        ("replacement", "done"): "J'ai envoyé un remplacement pour la commande {n}.",
        (
            "replacement",
            "denied",
        ): "Je suis désolé, mais je ne peux pas envoyer de remplacement pour la commande {n}.",
    },
    "de": {
        (
            "refund",
            "done",
        ): "Ich habe die Erstattung von {amount} für die Bestellung {n} auf Ihre ursprüngliche "
        "Zahlungsart veranlasst.",
        ("refund", "held"): "Die Erstattung von {amount} für die Bestellung {n} muss von unserem Team "
        "freigegeben werden; wir melden uns, sobald sie geprüft ist.",
        (
            "refund",
            "denied",
        ): "Es tut mir leid, aber die Bestellung {n} kann nach unseren Regeln nicht erstattet werden.",
        (
            "cancel",
            "done",
        ): "Ich habe die Bestellung {n} storniert; {amount} gehen an Ihre ursprüngliche Zahlungsart zurück.",
        ("cancel", "denied"): "Es tut mir leid, aber die Bestellung {n} kann nicht mehr storniert werden.",
        ("replacement", "done"): "Ich habe einen Ersatz für die Bestellung {n} verschickt.",
        (
            "replacement",
            "denied",
        ): "Es tut mir leid, aber für die Bestellung {n} kann ich keinen Ersatz schicken.",
    },
}
_ESCALATED = {
    "es": "He pasado su ticket a una persona de nuestro equipo de soporte, que le responderá pronto.",
    "fr": "J'ai transmis votre ticket à une personne de notre équipe, qui vous répondra rapidement.",
    "de": "Ich habe Ihr Ticket an eine Person aus unserem Support-Team weitergegeben, die sich bald meldet.",
}
# The other questions the offline agent asks ({n} is the order number).
_QUESTIONS = {
    "es": {
        "problem": "Puedo revisar una sustitución para el pedido {n}. ¿Qué le pasa al artículo: "
        "llegó dañado, no funciona o le enviamos un artículo equivocado?",
        "address": "Puedo cambiar la dirección de entrega del pedido {n} mientras no haya salido. "
        "¿Cuál es la nueva dirección (calle y número, ciudad y código postal)?",
        "items": "Puedo reembolsar una parte del pedido {n}. ¿Qué artículos debo reembolsar?",
        "details": "¿Podría contarme un poco más sobre lo que necesita? Si es sobre un pedido, indique el "
        "número de pedido (por ejemplo A1001).",
    },
    "fr": {
        "problem": "Je peux étudier un remplacement pour la commande {n}. Quel est le problème : l'article "
        "est arrivé abîmé, il ne fonctionne pas, ou nous avons envoyé le mauvais article ?",
        "address": "Je peux changer l'adresse de livraison de la commande {n} tant qu'elle n'est pas partie. "
        "Quelle est la nouvelle adresse (numéro et rue, ville et code postal) ?",
        "items": "Je peux rembourser une partie de la commande {n}. Quels articles dois-je rembourser ?",
        "details": "Pourriez-vous m'en dire un peu plus sur ce dont vous avez besoin ? S'il s'agit d'une "
        "commande, indiquez son numéro (par exemple A1001).",
    },
    "de": {
        "problem": "Ich kann einen Ersatz für die Bestellung {n} prüfen. Was ist mit dem Artikel: "
        "beschädigt angekommen, funktioniert nicht, oder haben wir den falschen Artikel geschickt?",
        "address": "Ich kann die Lieferadresse der Bestellung {n} ändern, solange sie nicht versandt ist. "
        "Wie lautet die neue Adresse (Straße und Hausnummer, Ort und Postleitzahl)?",
        "items": "Ich kann einen Teil der Bestellung {n} erstatten. Welche Artikel soll ich erstatten?",
        "details": "Können Sie mir etwas genauer sagen, was Sie brauchen? Wenn es um eine Bestellung geht, "
        "nennen Sie bitte die Bestellnummer (zum Beispiel A1001).",
    },
}
# Replies that rest on no outcome: a thank-you or hello, and feedback.
_COURTESY = {
    "es": {
        "thanks": "¡De nada, y gracias por escribirnos! Si surge algo más, responda aquí.",
        "hello": "¡Hola! ¿En qué puedo ayudarle? Si es sobre un pedido, el número de pedido me ayuda a "
        "encontrarlo.",
        "review": "¡Gracias por contárnoslo! Su comentario queda guardado en este ticket, donde nuestro "
        "equipo lo lee.",
    },
    "fr": {
        "thanks": "Je vous en prie, et merci de nous avoir écrit ! Si autre chose se présente, répondez ici.",
        "hello": "Bonjour ! Comment puis-je vous aider ? S'il s'agit d'une commande, son numéro m'aide à la "
        "retrouver.",
        "review": "Merci de nous l'avoir dit ! Votre avis est enregistré avec ce ticket, où notre équipe le "
        "lit.",
    },
    "de": {
        "thanks": "Gern geschehen, und danke für Ihre Nachricht! Wenn noch etwas ist, antworten Sie "
        "einfach hier.",
        "hello": "Hallo! Wie kann ich helfen? Wenn es um eine Bestellung geht, hilft mir die Bestellnummer.",
        "review": "Danke, dass Sie uns das mitteilen! Ihr Feedback ist bei diesem Ticket gespeichert, "
        "wo unser Team es liest.",
    },
}
# Policy answers quote the (English) policy: the frame says so in the customer's language.
# The passage itself is in the citation box under the reply, in English until policies are translated.
_ANSWER_FRAME = {
    "es": "La respuesta está en nuestra política, en el apartado «{heading}», que le citamos debajo de "
    "este mensaje (de momento solo en inglés).",
    "fr": "La réponse se trouve dans notre politique, à la rubrique « {heading} », citée sous ce message "
    "(pour l'instant uniquement en anglais).",
    "de": "Die Antwort steht in unseren Richtlinien im Abschnitt „{heading}“, den wir unter dieser "
    "Nachricht zitieren (vorerst nur auf Englisch).",
}
_WHICH = {
    "es": "¿De cuál de estos pedidos se trata? Responda con el número de pedido.",
    "fr": "De quelle commande s'agit-il ? Répondez avec le numéro de commande.",
    "de": "Um welche Bestellung geht es? Antworten Sie bitte mit der Bestellnummer.",
}


_REFUND_STATE = {
    "es": {
        "issued": "El reembolso de {amount} del pedido {n} ya se emitió a su método de pago original. "
        "Suele tardar de {low} a {high} días hábiles en aparecer.",
        "instant": "El reembolso de {amount} del pedido {n} ya se emitió y se abonó al instante.",
        "held": "El reembolso de {amount} del pedido {n} está pendiente de la aprobación de nuestro equipo.",
        "rejected": "El reembolso de {amount} del pedido {n} no fue aprobado, así que no se envió dinero.",
        "none": "El pedido {n} no tiene ningún reembolso.",
    },
    "fr": {
        "issued": "Le remboursement de {amount} pour la commande {n} a été émis vers votre moyen de paiement "
        "d'origine. Il faut en général {low} à {high} jours ouvrés pour qu'il apparaisse.",
        "instant": "Le remboursement de {amount} pour la commande {n} a été émis et crédité immédiatement.",
        "held": "Le remboursement de {amount} pour la commande {n} attend l'accord de notre équipe.",
        "rejected": "Le remboursement de {amount} pour la commande {n} n'a pas été accepté ; "
        "rien n'a été versé.",
        "none": "La commande {n} n'a fait l'objet d'aucun remboursement.",
    },
    "de": {
        "issued": "Die Erstattung von {amount} für die Bestellung {n} wurde an Ihre ursprüngliche "
        "Zahlungsart ausgezahlt. Es dauert meist {low} bis {high} Werktage, bis sie erscheint.",
        "instant": "Die Erstattung von {amount} für die Bestellung {n} wurde sofort gutgeschrieben.",
        "held": "Die Erstattung von {amount} für die Bestellung {n} wartet auf die Freigabe "
        "durch unser Team.",
        "rejected": "Die Erstattung von {amount} für die Bestellung {n} wurde nicht genehmigt; es wurde kein "
        "Geld gesendet.",
        "none": "Für die Bestellung {n} gibt es keine Erstattung.",
    },
}
_INVOICE = {
    "es": "La factura del pedido {n} está en la página del pedido: {path}. Desde allí puede imprimirla o "
    "guardarla como PDF.",
    "fr": "La facture de la commande {n} se trouve sur la page de la commande : {path}. Vous pouvez "
    "l'imprimer ou l'enregistrer en PDF depuis cette page.",
    "de": "Die Rechnung zur Bestellung {n} finden Sie auf der Seite der Bestellung: {path}. Dort können Sie "
    "sie drucken oder als PDF speichern.",
}


def _refund_state(language: str, main: ToolOutcome) -> str:
    details = main.details
    state = str(details.get("latest_status") or "none") if details.get("refunds") else "none"
    low, high = (details.get("days") or [0, 0])[:2]  # refund_status always sends the days of a refund
    if state == "issued" and high == 0:
        state = "instant"
    amount = f"{main.amount} {main.currency}" if main.amount is not None else ""
    return _REFUND_STATE[language][state].format(n=main.order_number, amount=amount, low=low, high=high)


def supported(language: str) -> bool:
    """Whether offline replies can be written in this language (English is compose.py's)."""
    return language in _FRAME


def localized_body(language: str, result: BackendResult, main: ToolOutcome | None) -> str | None:
    """The reply's body in the language, or None when this outcome has no wording here yet."""
    if main is not None and main.outcome == "done" and main.tool in _REPORTS:
        return _REPORTS[main.tool](language, main)
    if main is not None and (main.tool, main.outcome) in _ACTIONS[language]:
        return _action_done(language, main)
    return _decision(language, result)


def _action_done(language: str, main: ToolOutcome) -> str:
    amount = f"{main.amount} {main.currency}" if main.amount is not None else ""
    text = _ACTIONS[language][(main.tool, main.outcome)].format(n=main.order_number, amount=amount)
    return text + (f"\n\n{_ESCALATED[language]}" if main.escalate else "")


def _decision(language: str, result: BackendResult) -> str | None:
    """A turn that no tool carried out: a hand-over, or a question back to the customer."""
    if result.action == "escalate":
        return _ESCALATED[language]
    if result.action != "clarify":
        return None
    if result.clarify_options:
        listed = "\n".join(f"- {number}" for number in result.clarify_options)
        return f"{_WHICH[language]}\n\n{listed}"
    template = _QUESTIONS[language].get(result.question)
    return None if template is None else template.format(n=result.order_number)


def courtesy(language: str, kind: str) -> str | None:
    """A thank-you, hello or feedback answer in the language (kind: thanks | hello | review)."""
    return _COURTESY.get(language, {}).get(kind)


def answer_frame(language: str, heading: str) -> str | None:
    """A policy answer for a customer who wrote in `language`: where the (English) passage says it."""
    frame = _ANSWER_FRAME.get(language)
    return frame.format(heading=heading) if frame else None


def _status(language: str, main: ToolOutcome) -> str | None:
    status = str(main.details.get("status") or "")
    template = _STATUS[language].get(status)
    if template is None:
        return None
    carrier, number = main.details.get("carrier"), main.details.get("tracking_number")
    track = _TRACKING[language].format(carrier=carrier, number=number) if carrier and number else ""
    return template.format(n=main.order_number, track=track)


def _invoice(language: str, main: ToolOutcome) -> str:
    return _INVOICE[language].format(n=main.order_number, path=main.details.get("path"))


# Lookups that succeeded are written from what the tool found, not from a fixed sentence; a status
# with no wording here gives None rather than another outcome's sentence.
_REPORTS: dict[str, Callable[[str, ToolOutcome], str | None]] = {
    "order_status": _status,
    "refund_status": _refund_state,
    "invoice": _invoice,
}


def wrap_localized(language: str, body: str) -> str:
    """Greeting, body and closing in the language (no signature: the page says who wrote it)."""
    hello, closing = _FRAME[language]
    return f"{hello}\n\n{body}\n\n{closing}"


def main_of(result: BackendResult, outcomes: Sequence[ToolOutcome]) -> ToolOutcome | None:
    """The outcome of the tool that carried the main action, if any."""
    return next((o for o in reversed(outcomes) if action_of_tool(o.tool) == result.action), None)
