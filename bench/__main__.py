"""``python -m bench``: run every ``bench/*_*.py`` module's ``main()``, or the ones named on argv."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).resolve().parent
    names = argv or sorted(p.stem for p in here.glob("*_*.py") if not p.stem.startswith("_"))
    for name in names:
        if not (here / f"{name}.py").exists():
            print(f"error: no benchmark bench/{name}.py", file=sys.stderr)
            return 2
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
