"""Email notifications: rendering, absolute links, threading headers, the outbox and satisfaction links.

The portal only ever writes outbox rows (`portal.mailer.notifications.notify`) and enqueues jobs after commit;
the jobs in `worker/email_jobs.py` do the sending, so no web request ever talks to an SMTP server.
This package also serves the one-click satisfaction links (`/feedback/<token>`) and the admins' list of
failed messages (`/admin/email`).
"""

from flask import Blueprint, Flask

bp = Blueprint("mailer", __name__)


def init_app(app: Flask) -> None:
    """Register bp with its views, imported here and not with the package (docs/architecture.md, "Layout")."""
    from portal.mailer import routes  # noqa: F401

    app.register_blueprint(bp)
