"""A model's reply may only claim what the tools did: the check behind "replies grounded in outcomes".

The rule, for any model backend's own reply (the pipeline applies it after `backend.run`):
- no action tool (refund, cancel, replacement, change_address) carried anything out in this run →
  any claim of having done something ("All done as requested.", "I've issued a refund", "has been
  cancelled", "I've sent …") is ungrounded;
- an action was carried out → the reply may say so ("all done" included) but not claim another action
  (a cancelled order is not "refunded", a refund is not a "replacement sent").
An ungrounded reply is dropped and compose writes the reply from the tools' own outcomes instead, the
way the offline backend always does; the run trace gets a `grounding` step (shown on the desk's run).

The claims are a short list of affirmative past-tense phrasings per language the product answers in
(en, es, fr, de). Negations ("has not been cancelled", "wurde nicht erstattet") and future or
conditional wording ("can be refunded", "will be cancelled") do not match: only what the reply says
already happened. A phrasing missed here still meets the amount check (mistral_checks) and compose's
outcome line; a false alarm costs only the model's wording, never a wrong statement.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from worker.agent.backends.base import ToolOutcome

ACTION_TOOLS = ("refund", "cancel", "replacement", "change_address")  # tools with an effect
GENERIC = "done"  # a claim of having acted without naming the action

# Within one sentence, but across the decimal point of an amount ("refund of 42.00 USD has been …").
_SPAN = r"(?:[^.!?\n]|\.(?=\d)){0,80}?"
_NOT = r"(?!\s*(?:nicht|kein|not|no|pas|jamais)\b)"  # no negation right after the auxiliary

_CLAIMS: dict[str, tuple[str, ...]] = {
    GENERIC: (
        # en
        r"\ball (?:done|set|sorted)\b",
        r"\bdone as (?:you )?(?:requested|asked)\b",
        r"\b(?:i|we)(?:'ve| have)? (?:just |now |already )?(?:done|completed|processed|taken care of|"
        # … but not "sent your ticket (on) to our team": handing over is no action done
        r"handled|sent)\b(?!\s+(?:it\s+|this\s+|(?:a|the|your)\s+\w+\s+)?(?:on\s+)?to\b)",
        r"\b(?:it|this|that|everything)(?:'s| is| has been) (?:all )?(?:done|taken care of|processed)\b",
        # es
        r"\btodo (?:listo|hecho)\b",
        r"\bya est[áa] hecho\b",
        r"\b(?:he|hemos) (?:realizado|hecho|procesado|completado|tramitado|enviado)\b",
        # fr
        r"\bc'est fait\b",
        r"\btout est (?:fait|réglé)\b",
        r"\b(?:j'ai|nous avons) (?:effectué|traité|fait le nécessaire|envoyé|procédé)\b",
        # de
        r"\b(?:alles |ist |wurde |habe ich )erledigt\b",
        r"\b(?:ich habe|wir haben)" + _NOT + _SPAN + r"\b(?:erledigt|durchgeführt|veranlasst|verschickt|"
        r"gesendet|versandt)\b",
    ),
    "refund": (
        r"\b(?:has|have|was|were|is now|are now|'ve)" + _NOT + r" (?:been )?(?:fully |now |just )?refunded\b",
        r"\b(?:i|we)(?:'ve| have)? (?:just )?refunded\b",
        r"\brefund\b" + _SPAN + r"\b(?:has|have) been (?:issued|processed|made|sent|completed|approved)\b",
        r"\brefund (?:was|is) (?:issued|processed|on its way)\b",
        r"\b(?:i|we)(?:'ve| have)? (?:issued|processed|sent|made) (?:you )?(?:a|the|your) "
        r"(?:full |partial )?refund\b",
        r"\b(?:ha|han) sido reembolsad[oa]s?\b",
        r"\b(?:he|hemos) (?:reembolsado|(?:emitido|procesado) (?:el|un|su|tu) reembolso)\b",
        r"\breembolso\b" + _SPAN + r"\b(?:ha sido|fue) (?:emitido|procesado|realizado|tramitado|aprobado)\b",
        r"\b(?:a|ont) été remboursée?s?\b",
        r"\b(?:je vous ai|nous vous avons) remboursée?s?\b",
        r"\b(?:j'ai|nous avons) (?:effectué|émis|traité|procédé au) (?:le |un |votre )?remboursement\b",
        r"\bremboursement\b" + _SPAN + r"\ba été (?:effectué|émis|traité|validé|envoyé)\b",
        r"\b(?:wurde|wurden|ist|sind)"
        + _NOT
        + r" (?:Ihnen |dir )?(?:bereits |vollständig )?(?:zurück)?erstattet\b",
        r"\b(?:habe|haben)" + _NOT + _SPAN + r"\b(?:zurück)?erstattet\b",
        r"\b(?:Rück)?erstattung\b"
        + _SPAN
        + r"\b(?:wurde|ist)"
        + _NOT
        + _SPAN
        + r"\b(?:veranlasst|ausgestellt|bearbeitet|durchgeführt|angewiesen|ausgezahlt)\b",
    ),
    "cancel": (
        r"\b(?:has|have|was|were|is now|are now|'ve)" + _NOT + r" (?:been )?(?:now |just |successfully )?"
        r"cancell?ed\b",
        r"\b(?:i|we)(?:'ve| have)? (?:just )?cancell?ed\b",
        r"\b(?:ha|han) sido (?:cancelad|anulad)[oa]s?\b",
        r"\b(?:he|hemos) (?:cancelado|anulado)\b",
        r"\b(?:está|quedó|queda) (?:cancelad|anulad)[oa]\b",
        r"\b(?:a|ont) été annulée?s?\b",
        r"\b(?:j'ai|nous avons) annulé\b",
        r"\best (?:maintenant |bien )?annulée?\b",
        r"\b(?:wurde|wurden|ist|sind)" + _NOT + r" (?:jetzt |nun |erfolgreich )?storniert\b",
        r"\b(?:habe|haben)" + _NOT + _SPAN + r"\bstorniert\b",
    ),
    "replacement": (
        r"\b(?:i|we)(?:'ve| have)? (?:sent|shipped|arranged|ordered) (?:you )?"
        r"(?:a |the |your )?replacement\b",
        r"\breplacement\b" + _SPAN + r"\b(?:has|have) been (?:sent|shipped|dispatched|arranged|ordered)\b",
        r"\breplacement (?:is|was) (?:on its way|sent|shipped)\b",
        r"\b(?:he|hemos) enviado (?:un|el|su|tu) (?:reemplazo|repuesto|sustituto)\b",
        r"\b(?:reemplazo|repuesto|sustituto)\b" + _SPAN + r"\b(?:ha sido|fue) enviad[oa]\b",
        r"\b(?:j'ai|nous avons) (?:envoyé|expédié) (?:un|le|votre) "
        r"(?:article de |produit de )?remplacement\b",
        r"\bremplacement\b" + _SPAN + r"\ba été (?:envoyé|expédié)\b",
        r"\bErsatz\w*\b"
        + _SPAN
        + r"\b(?:wurde|ist)"
        + _NOT
        + r" (?:bereits )?(?:verschickt|versandt|versendet|"
        r"unterwegs)\b",
        r"\b(?:habe|haben)"
        + _NOT
        + _SPAN
        + r"\bErsatz\w*\b"
        + _SPAN
        + r"\b(?:verschickt|versandt|geschickt)\b",
    ),
    "change_address": (
        r"\baddress\b" + _SPAN + r"\b(?:has|have) been (?:changed|updated|corrected)\b",
        r"\b(?:i|we)(?:'ve| have)? (?:changed|updated|corrected) (?:the|your) "
        r"(?:delivery |shipping )?address\b",
        r"\bdirección\b" + _SPAN + r"\b(?:ha sido|fue) (?:cambiad|actualizad|modificad|corregid)a\b",
        r"\b(?:he|hemos) (?:cambiado|actualizado|modificado|corregido) (?:la|su|tu) dirección\b",
        r"\badresse\b" + _SPAN + r"\ba été (?:modifiée|mise à jour|changée|corrigée)\b",
        r"\b(?:j'ai|nous avons) (?:modifié|mis à jour|changé|corrigé) (?:l'|votre )adresse\b",
        r"\b(?:Liefer)?adresse\b"
        + _SPAN
        + r"\b(?:wurde|ist)"
        + _NOT
        + r" (?:geändert|aktualisiert|korrigiert)\b",
        r"\b(?:habe|haben) (?:Ihre |die |deine )?(?:Liefer)?adresse (?:geändert|aktualisiert|korrigiert)\b",
    ),
}
_PATTERNS = {claim: [re.compile(p, re.I) for p in patterns] for claim, patterns in _CLAIMS.items()}


def claimed_actions(reply: str) -> set[str]:
    """The actions the reply says were carried out: tool names, and GENERIC for an unnamed 'done'."""
    text = reply.replace("\u2019", "'")  # typographic apostrophes (French, and many models)
    return {claim for claim, patterns in _PATTERNS.items() if any(p.search(text) for p in patterns)}


def carried_out(outcomes: Iterable[ToolOutcome]) -> set[str]:
    """The action tools that actually did something in this run."""
    return {o.tool for o in outcomes if o.tool in ACTION_TOOLS and o.outcome == "done"}


def ungrounded_claim(reply: str, outcomes: Iterable[ToolOutcome]) -> str | None:
    """Why the reply claims an action the tools refused or did not perform, or None if it does not."""
    claims = claimed_actions(reply)
    if not claims:
        return None
    done = carried_out(outcomes)
    named = sorted(claims - {GENERIC}) or [GENERIC]
    if not done:
        return f"reply claims {', '.join(named)} but no action was carried out"
    other = sorted(claims - done - {GENERIC})
    if other:
        return f"reply claims {', '.join(other)} but only {', '.join(sorted(done))} was carried out"
    return None
