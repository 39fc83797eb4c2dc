"""Email notifications: rendering, absolute links, threading headers, the outbox and satisfaction links.

The portal only ever writes outbox rows (`portal.notifications.notify`) and enqueues jobs after commit;
the jobs in `worker/email_jobs.py` do the sending, so no web request ever talks to an SMTP server.
This package also serves the one-click satisfaction links (`/feedback/<token>`) and the admins' list of
failed messages (`/admin/email`).
"""

from flask import Blueprint

bp = Blueprint("mailer", __name__)

from portal.mailer import routes  # noqa: E402,F401
