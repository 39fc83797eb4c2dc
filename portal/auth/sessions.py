"""Idle timeout for staff and admin sessions: STAFF_IDLE_MINUTES without a page load signs them out.

The session keeps the time of the last page load (`seen_at`, refreshed at most once a minute so most
responses set no cookie). A staff session without it was not started by a login (a copied or restored
cookie) and ends at once; staff never get a remember-me cookie. Background requests made by scripts
(the desk queue's refresh, the ticket page's status polls) do not count as activity, or an open tab would
keep a session alive forever.
"""

from __future__ import annotations

import time

from flask import flash, request, session
from flask_login import current_user, logout_user, user_logged_in

from portal.auth import bp
from portal.config import settings

SEEN_KEY = "seen_at"
REFRESH_SECONDS = 60


def _mark_seen(_app, user, **_extra) -> None:
    session[SEEN_KEY] = int(time.time())


user_logged_in.connect(_mark_seen)


def _is_background() -> bool:
    """A script's fetch(): browsers mark it with Sec-Fetch-Mode other than "navigate"; JSON polls too."""
    mode = request.headers.get("Sec-Fetch-Mode")
    return (mode is not None and mode != "navigate") or request.accept_mimetypes.best == "application/json"


@bp.before_app_request
def end_idle_staff_sessions() -> None:
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    idle_limit = settings().auth.staff_idle_minutes * 60
    if current_user.is_staff and idle_limit and (seen is None or now - seen > idle_limit):
        logout_user()  # login_required then sends them to the login page, with ?next= to come back
        if seen is not None:
            flash(f"You were signed out after {idle_limit // 60} minutes without activity.", "info")
        return
    if not _is_background() and (seen is None or now - seen >= REFRESH_SECONDS):
        session[SEEN_KEY] = now
