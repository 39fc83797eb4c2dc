"""The help center's own page words in each of its languages (articles carry their own text)."""

from __future__ import annotations

_TEXT = {
    "en": {
        "help_center": "Help center",
        "search": "Search",
        "placeholder": "Search the help center",
        "results_for": "Results for",
        "no_results": "No articles match",
        "helpful": "Was this helpful?",
        "yes": "Yes",
        "no": "No",
        "comment": "Anything we should add? (optional)",
        "related": "Related articles",
        "untranslated": "This article is not translated yet; here it is in English.",
        "voted": "Thanks, we have your answer for this article.",
    },
    "es": {
        "help_center": "Centro de ayuda",
        "search": "Buscar",
        "placeholder": "Buscar en la ayuda",
        "results_for": "Resultados para",
        "no_results": "Ningún artículo coincide con",
        "helpful": "¿Le ha sido útil?",
        "yes": "Sí",
        "no": "No",
        "comment": "¿Algo que debamos añadir? (opcional)",
        "related": "Artículos relacionados",
        "untranslated": "Este artículo aún no está traducido; aquí está en inglés.",
        "voted": "Gracias, ya tenemos su respuesta para este artículo.",
    },
    "fr": {
        "help_center": "Centre d’aide",
        "search": "Rechercher",
        "placeholder": "Rechercher dans l’aide",
        "results_for": "Résultats pour",
        "no_results": "Aucun article ne correspond à",
        "helpful": "Cet article vous a-t-il aidé ?",
        "yes": "Oui",
        "no": "Non",
        "comment": "Quelque chose à ajouter ? (facultatif)",
        "related": "Articles liés",
        "untranslated": "Cet article n’est pas encore traduit ; le voici en anglais.",
        "voted": "Merci, nous avons votre réponse pour cet article.",
    },
    "de": {
        "help_center": "Hilfe-Center",
        "search": "Suchen",
        "placeholder": "Hilfe durchsuchen",
        "results_for": "Ergebnisse für",
        "no_results": "Kein Artikel passt zu",
        "helpful": "War das hilfreich?",
        "yes": "Ja",
        "no": "Nein",
        "comment": "Sollen wir etwas ergänzen? (optional)",
        "related": "Verwandte Artikel",
        "untranslated": "Dieser Artikel ist noch nicht übersetzt; hier auf Englisch.",
        "voted": "Danke, wir haben Ihre Antwort zu diesem Artikel.",
    },
}


def ui_text(language: str) -> dict[str, str]:
    """The page words for `language` (English for any other)."""
    return _TEXT.get(language, _TEXT["en"])
