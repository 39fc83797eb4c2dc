"""The customer intents the agent understands (../shared/scenarios/INTENTS.md) and their actions.

The classifier predicts one of these intents; the action follows from it (`ACTION`), and for an
intent that is answered from policy, `TOPIC` names the policy page that holds the answer
(policies/<stem>.md). `vague` is ours: a request for help that says nothing about what, which
the agent answers with a question (`clarify`).
"""

from __future__ import annotations

ACTION: dict[str, str] = {
    "cancel_order": "cancel",
    "change_order": "escalate",
    "place_order": "answer",
    "track_order": "order_status",
    "delivery_period": "order_status",
    "delivery_options": "answer",
    "get_refund": "refund",
    "track_refund": "order_status",
    "check_refund_policy": "answer",
    "check_cancellation_fee": "answer",
    "create_account": "answer",
    "edit_account": "answer",
    "delete_account": "answer",
    "switch_account": "answer",
    "recover_password": "answer",
    "registration_problems": "answer",
    "check_payment_methods": "answer",
    "payment_issue": "escalate",
    "check_invoice": "invoice",
    "get_invoice": "invoice",
    "change_shipping_address": "change_address",
    "set_up_shipping_address": "answer",
    "newsletter_subscription": "answer",
    "contact_customer_service": "answer",
    "contact_human_agent": "escalate",
    "complaint": "escalate",
    "review": "answer",
    "damaged_item": "replacement",
    "greeting": "answer",
    "other": "escalate",
    "vague": "clarify",
}
INTENTS = tuple(ACTION)
ACTIONS = tuple(dict.fromkeys(ACTION.values()))

# The policy page that answers each question-type intent.
TOPIC: dict[str, str] = {
    "place_order": "shipping",
    "delivery_options": "shipping",
    "delivery_period": "shipping",
    "check_refund_policy": "refunds",
    "check_cancellation_fee": "cancellations",
    "create_account": "accounts",
    "edit_account": "accounts",
    "delete_account": "privacy",
    "switch_account": "accounts",
    "recover_password": "accounts",
    "registration_problems": "accounts",
    "check_payment_methods": "payments",
    "set_up_shipping_address": "accounts",
    "newsletter_subscription": "accounts",
    "contact_customer_service": "escalation",
    "track_refund": "payments",
}
