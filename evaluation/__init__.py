"""Evaluation code, kept out of the runtime packages: the scenario runner behind `flask agent eval`.

Nothing in `portal/`, `worker/` or `tools/` imports this package except the `eval` command itself,
and the runner only ever touches a scratch database it creates (see `scenarios.ScratchRunner`).
"""
