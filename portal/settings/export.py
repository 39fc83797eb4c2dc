"""The data export as a file download (shared by the settings page and the staff desk)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from portal.models import utcnow


def json_download(data: dict[str, Any], user_id: int) -> Response:
    """`data` as an attachment; never cached, since it is a person's whole record."""
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    filename = f"supportops-data-{user_id}-{utcnow():%Y%m%d}.json"
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
