"""Check that imports inside src/aiswarm only go down the house plan (../ARCHITECTURE.md).

Run by `make lint` and by the test suite. Prints one line per offending import and exits 1.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

# room -> rooms of ours it may import. `errors` and `lazy_exports` may be imported by every
# room but `types` and `indicators`;
# `clock` by every room above `types` and `indicators`.
ALLOWED: dict[str, set[str]] = {
    "types": set(),
    "errors": set(),
    "lazy_exports": set(),
    "clock": {"types"},
    "indicators": set(),
    "store": {"types", "clock"},
    "market": {"types", "clock"},
    "agents": {"types", "indicators", "clock"},
    "portfolio": {"types", "clock"},
    "risk": {"types", "portfolio", "clock"},
    "execution": {"types", "risk", "clock"},
    "venues": {"types", "execution", "clock"},
    "orchestration": {"types", "agents", "portfolio", "risk", "execution", "clock", "indicators"},
    "mandates": {"types", "agents", "clock"},
    "bus": {"types", "clock"},
    "monitoring": {"types", "clock"},
}
# The top rooms wire or drive everything below them; they too only import downwards.
_ENGINE_ROOMS = set(ALLOWED) | {"config"}
ALLOWED |= {
    "config": {"types", "clock", "portfolio", "risk", "orchestration"},
    "runtime": _ENGINE_ROOMS,
    "backtest": _ENGINE_ROOMS | {"runtime"},
    "api": {"runtime", "types", "risk", "clock"},
    "mcp": {"runtime", "types", "clock"},
    "bench": _ENGINE_ROOMS | {"runtime", "backtest"},
    "commands": _ENGINE_ROOMS | {"runtime", "backtest", "bench", "api", "mcp"},
    "cli": {"commands", "bench", "clock", "config"},
    "__init__": set(),
    "__main__": {"cli"},
}
LEAF_FOR_ALL = {"errors", "lazy_exports"}
NO_ERRORS_IMPORT = {"types", "indicators"}


def room_of(path: Path, package_root: Path) -> str:
    """Return the room (first path part under the package) a module belongs to."""
    part = path.relative_to(package_root).parts[0]
    return part.removesuffix(".py")


def imported_rooms(tree: ast.AST) -> list[tuple[int, str]]:
    """Yield (line, room) for every `aiswarm.<room>` import in a module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "aiswarm" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def check(package_root: Path) -> list[str]:
    """Return a message for every import that goes up or sideways."""
    problems: list[str] = []
    for path in sorted(package_root.rglob("*.py")):
        room = room_of(path, package_root)
        allowed = ALLOWED.get(room)
        if allowed is None:
            problems.append(f"{path}: room '{room}' is not in tools/check_imports.py; add it")
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, target in imported_rooms(tree):
            if target == room or target in allowed:
                continue
            if target in LEAF_FOR_ALL and room not in NO_ERRORS_IMPORT:
                continue
            problems.append(f"{path}:{line}: '{room}' may not import 'aiswarm.{target}'")
    return problems


def main() -> int:
    """Check the package folder given on the command line (default src/aiswarm)."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src/aiswarm")
    problems = check(root)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
