"""The kinds of PII that need more than one regex: phones, national ids, dates of birth, addresses, names.

worker/agent/redact.py runs them in order; each module finds spans and validates them, so order
numbers, amounts, dates and tracking numbers survive.
"""
