"""Email in: customers' replies to our notifications land in their ticket; new mail opens one.

`process.receive(raw_bytes)` decides what one message does (docs/email.md, "Email in"); `imap.fetch_mailbox`
takes messages from the support mailbox and hands them to it; `flask mail fetch` and the workers' periodic
job (worker/inbound_jobs.py) call that. Every message is recorded once (InboundEmail, keyed by Message-ID),
so a message fetched twice is taken in once.
"""
