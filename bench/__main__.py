"""`python -m bench [NAME ...]`: run every benchmark (or the named ones), print figures, write JSON.

    python -m bench                 # all of them, in the order below (about 10 minutes on 2 cores)
    python -m bench retrieval e2e   # just these
    python -m bench --list

A benchmark never fails the build: an error is printed and recorded, the others still run, and the exit
status is 0 unless the run was interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import shutil
import sys
import time
import traceback

from bench.render import update_doc
from bench.services import LOG_DIR, install_signal_handlers
from bench.stats import Skipped, write_result

BENCHMARKS = ("agent", "e2e", "scaleout", "pages", "retrieval", "help_search", "mistral")
log = logging.getLogger("bench")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--quick", action="store_true", help="shorter runs and smaller volumes (smoke test)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log what the harness does")
    parser.add_argument(
        "--tickets", type=int, default=None, help="pages: tickets to generate (default 100000)"
    )
    parser.add_argument(
        "--messages", type=int, default=None, help="pages: messages to generate (default 1000000)"
    )
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    return args


def run_one(name: str, args: argparse.Namespace) -> dict:
    """Run one benchmark module; returns its result (with status ok / skipped / error)."""
    module = importlib.import_module(f"bench.{name}")
    print(f"\n=== {name}: {module.DESCRIPTION}", flush=True)
    started = time.perf_counter()
    try:
        result = module.run(args)
        result = {"status": "ok", **result}
    except Skipped as exc:
        result = {"status": "skipped", "reason": str(exc)}
    except Exception as exc:  # a benchmark must never take the others down
        traceback.print_exc()
        result = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    path = write_result(name, result)
    if result["status"] == "ok":
        for line in module.report(result):
            print(f"  {line}")
    else:
        print(f"  {result['status']}: {result['reason']}")
    print(
        f"  ({result['elapsed_s']} s; figures in {path.relative_to(path.parent.parent.parent)})", flush=True
    )
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for name in BENCHMARKS:
            print(f"{name:10} {importlib.import_module(f'bench.{name}').DESCRIPTION}")
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_signal_handlers()
    shutil.rmtree(LOG_DIR, ignore_errors=True)  # child logs of this run only (post-mortems)
    started = time.perf_counter()
    summary = {}
    try:
        for name in args.names or BENCHMARKS:
            summary[name] = run_one(name, args)["status"]
    except KeyboardInterrupt:
        print("\ninterrupted; services stopped and bench databases dropped", file=sys.stderr)
        return 130
    print(
        f"\nall done in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{n} {s}" for n, s in summary.items())
    )
    # Quick (smoke) figures never reach the document, nor a partial run's: the table is rebuilt from
    # bench/results/, which holds only what ran on this machine, so the others' rows would read "not run".
    if args.quick or args.names:
        print("docs/performance.md left as it is (python -m bench.render writes it from bench/results/)")
    elif update_doc():
        print("docs/performance.md figures updated from bench/results/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
