"""Order emails that belong to no ticket: the delivery-address confirmation.

Sent for every address change, whoever made it (the agent on a ticket or the customer on the order page),
because it is written where the change is recorded (portal/services/effects.record_address_change).
Always sent, like action emails: a parcel going somewhere else is not a newsletter.
"""

from __future__ import annotations

from portal.mailer.compose import render
from portal.mailer.links import external_url, mail_domain
from portal.mailer.notifications import add_outbox_row
from portal.models import AddressChange, EmailOutbox, Order

EVENT = "address_changed"


def send_address_changed(change: AddressChange, order: Order) -> None:
    """Queue the confirmation of `change` (flushed, so it has an id) to the order's customer."""
    customer = order.customer
    if customer is None or not customer.active:
        return
    url = external_url("main.order_detail", number=order.number)
    subject = f"Order {order.number} will be delivered to a new address"
    draft = render(EVENT, subject, customer=customer, order=order, change=change, url=url, essential=True)
    add_outbox_row(
        EmailOutbox(
            dedupe_key=f"{EVENT}:{change.id}",  # one email per change, however often it is replayed
            event=EVENT,
            to_address=customer.email,
            user_id=customer.id,
            ticket_id=change.ticket_id,
            subject=draft.subject,
            text_body=draft.text,
            html_body=draft.html,
            headers={
                "Message-ID": f"<address-changed.{change.id}@{mail_domain()}>",
                "X-SupportOps-Event": EVENT,
            },
        )
    )
