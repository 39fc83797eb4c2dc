"""`flask` commands that belong to no one page: `users` and `demo` (cli.py, demo data in demo.py) and the
action-log export (actions_cli.py). A feature's own commands live in its package (inbound/, mailer/,
orders/)."""
