"""What is kept of an inbound message: its new text, without quoted history, reply headers and signatures
(mail-parser-reply, plus our rule for a bare trailing quote), from plain-text and HTML-only mail."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.inbound.process import receive
from portal.inbound.text import new_text
from portal.models import Ticket
from tests.email.conftest import make_user

NEW = "The left earcup crackles when I move my head."

REPLIES = {
    "gmail": f"{NEW}\n\nOn Mon, Dec 1, 2025 at 10:00 AM Shop Support <support@shop.example> wrote:\n"
    "> Hello\n",
    "dash signature": f"{NEW}\n\n-- \nCasey Customer\nACME Ltd, +1 555 0100\n",
    "sign-off": f"{NEW}\n\nBest regards,\nCasey\n",
    "phone": f"{NEW}\n\nSent from my iPhone\n",
    "outlook": f"{NEW}\n\nFrom: Shop Support <support@shop.example>\nSent: Monday, December 1, 2025 10:00\n"
    "To: casey@example.com\nSubject: [T-ABCD2345] Headphones\n\nWe received your request.",
    "french": f"{NEW}\n\nLe lun. 1 déc. 2025 à 10:00, Shop Support <support@shop.example> a écrit :\n"
    "> Bonjour\n",
    "german": f"{NEW}\n\nMit freundlichen Grüßen\nCasey\n\nAm 01.12.2025 um 10:00 schrieb Shop Support "
    "<support@shop.example>:\n> Hallo\n",
    "bare quote": f"{NEW}\n\n> We received your request.\n> Ticket T-ABCD2345\n",
    "original message": f"{NEW}\n\n-----Original Message-----\nFrom: support@shop.example\nold text\n",
}


@pytest.mark.parametrize("name", REPLIES)
def test_quotes_and_signatures_are_stripped(name):
    assert new_text(REPLIES[name], ["en", "de", "fr"]) == NEW


def test_a_list_in_the_reply_is_kept():
    text = "I need:\n- a refund for the case\n- a label for the headphones\n\nThanks,\nCasey"
    assert new_text(text, ["en"]) == "I need:\n- a refund for the case\n- a label for the headphones"


def test_html_only_mail_is_read_without_its_quoted_part(app):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "casey@example.com", "support@example.com", "Help"
    message["Message-ID"] = "<html-only@mail.example.net>"
    message.set_content(
        f"<div dir='ltr'>{NEW}<br><br>Thanks,<br>Casey</div><div class='gmail_quote'>On Mon wrote:"
        "<blockquote>We received your request.</blockquote></div>",
        subtype="html",
    )
    with app.app_context():
        make_user("casey@example.com", "Casey Customer")
        db.session.commit()
        assert receive(message.as_bytes()).outcome == "opened"
        assert db.session.scalars(select(Ticket)).one().body == NEW


def test_a_reply_with_nothing_new_adds_nothing(app):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "casey@example.com", "support@example.com", "Re: x"
    message.set_content("> We received your request.\n> Ticket T-ABCD2345\n")
    with app.app_context():
        make_user("casey@example.com", "Casey Customer")
        db.session.commit()
        result = receive(message.as_bytes())
        assert (result.outcome, result.reason) == (
            "ignored",
            "no new text once quotes and signature are removed",
        )
        assert db.session.scalars(select(Ticket)).all() == []


def test_flask_mail_receive_takes_one_message_from_standard_input(app):
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "casey@example.com", "support@example.com", "Help"
    message["Message-ID"] = "<piped-1@mail.example.net>"
    message.set_content(f"{NEW}\n\nSent from my iPhone\n")
    with app.app_context():
        make_user("casey@example.com", "Casey Customer")
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["mail", "receive"], input=message.as_bytes())
    again = runner.invoke(args=["mail", "receive", "-"], input=message.as_bytes())
    assert first.exit_code == 0, first.output
    assert first.output.startswith("opened T-") and again.output.strip() == "duplicate"
    with app.app_context():
        assert db.session.scalars(select(Ticket)).one().body == NEW
