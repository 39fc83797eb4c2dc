"""SupportOps benchmarks (`make bench`, or `python -m bench NAME`): figures, never pass/fail.

Each benchmark module exposes `NAME`, `DESCRIPTION` and `run(args) -> dict`; the runner prints the
figures and writes them to `bench/results/<name>.json`. Benchmarks start what they need (a private
Postgres database, Redis, RQ workers, gunicorn) and stop it again, also on Ctrl-C or failure.
"""
