"""Fail when a function of the product is more complex than LIMIT, counting boolean operators.

ruff's C901 (mccabe) counts branches and loops but not `and` / `or`, so one `if` over five clauses
scores like one over one; radon's cyclomatic complexity counts each boolean operator as a decision
too, and that is the figure we hold every function and method to (issue 16). Tests, benchmarks and
migrations are not product code and are left out. `make lint` runs it: exit 1 lists the offenders.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from radon.complexity import cc_visit
from radon.visitors import Class, Function

LIMIT = 12
PACKAGES = ("portal", "worker", "tools", "evaluation")
EXCLUDED = frozenset({"tests", "bench", "migrations"})
ROOT = Path(__file__).resolve().parent.parent


def sources() -> Iterator[Path]:
    """Every .py file of the product packages, outside tests, benchmarks and migrations."""
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not EXCLUDED & set(path.relative_to(ROOT).parts):
                yield path


def _walk(blocks: Iterable[Function | Class]) -> Iterator[Function]:
    for block in blocks:
        if isinstance(block, Class):
            yield from _walk([*block.methods, *block.inner_classes])
        else:
            yield block
            yield from _walk(block.closures)


def functions(code: str) -> Iterator[Function]:
    """Every function and method of the code, closures and methods of nested classes included."""
    # cc_visit lists a class's methods beside it; start from the top level so none is counted twice.
    top_level = [block for block in cc_visit(code) if isinstance(block, Class) or not block.is_method]
    return _walk(top_level)


def too_complex(limit: int = LIMIT) -> list[str]:
    """'path:line name (complexity)' for each function above `limit`, in file order."""
    found = []
    for path in sources():
        where = path.relative_to(ROOT)
        for function in sorted(functions(path.read_text(encoding="utf-8")), key=lambda f: f.lineno):
            if function.complexity > limit:
                found.append(f"{where}:{function.lineno} {function.fullname} ({function.complexity})")
    return found


def main() -> int:
    found = too_complex()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} function(s) above complexity {LIMIT} (radon, boolean operators counted)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
