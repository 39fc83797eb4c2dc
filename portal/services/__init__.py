"""The service layer that carries out tool decisions with database-enforced limits.

- `execute(tool, ticket_id=..., customer_id=..., args=..., actor=...)`: one action, one transaction,
  under the customer's lock; always logged; idempotent per (ticket, action, order).
- `approve_held(refund_id, staff_user_id)` / `reject_held(refund_id, staff_user_id, note)`: the staff
  decision on refunds held above the approval threshold; idempotent.
- `payments`: the PaymentProvider protocol and the built-in ledger.
"""

from portal.services.actions import execute
from portal.services.audit import ActionResult, Actor
from portal.services.held import approve_held, held_refunds, reject_held

__all__ = ["ActionResult", "Actor", "approve_held", "execute", "held_refunds", "reject_held"]
