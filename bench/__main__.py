"""Run every benchmark in ``bench/`` (or the ones named): ``python -m bench [name ...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

OWN_ENVIRONMENT = {"vector_peers"}
"""Run by their own nox sessions (``nox -s bench_peers``), not by default."""


def main() -> None:
    names = sys.argv[1:] or sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if m.name != "__main__" and m.name not in OWN_ENVIRONMENT
    )
    for name in names:
        print(f"== bench.{name} ==", flush=True)
        sys.argv = [f"bench.{name}"]
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
