"""Let a room's ``__init__`` export names that load only when first used.

Why: importing any module of a package runs the package's ``__init__`` first, so a room whose
``__init__`` imports all of its modules makes every importer pay for all of them. The config
needs ``RiskLimits``, and used to pull in the whole risk engine, the coordinator and the
agents that way, which kept `aiswarm events list` and `--help` slow (docs/performance.md).

A lazy room's ``__init__`` keeps its imports, written once, in an ``if TYPE_CHECKING:`` block
(so mypy and readers see them) and hands its module ``__getattr__`` to ``lazy_exports``, which
reads that block and imports a name's module the first time the name is asked for:

    if TYPE_CHECKING:
        from aiswarm.risk.engine import RiskEngine
    else:
        __getattr__ = lazy_exports(__name__, __file__)

Only standard library here: every room, ``types`` included, may import this module.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["lazy_exports"]


def lazy_exports(package: str, init_file: str) -> Callable[[str], object]:
    """Return a module ``__getattr__`` serving the names ``init_file`` imports under TYPE_CHECKING.

    A name found is cached in the package's namespace, so it is imported once. An unknown name
    raises ``AttributeError`` as for any module.
    """
    sources = _type_checking_imports(Path(init_file))

    def module_getattr(name: str) -> object:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        setattr(sys.modules[package], name, value)
        return value

    return module_getattr


def _type_checking_imports(init_file: Path) -> dict[str, str]:
    """Return ``{name: module}`` for every ``from module import name`` under TYPE_CHECKING."""
    tree = ast.parse(init_file.read_text(encoding="utf-8"), filename=str(init_file))
    sources: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"):
            continue
        for statement in node.body:
            if isinstance(statement, ast.ImportFrom) and statement.module and not statement.level:
                for alias in statement.names:
                    name = alias.asname or alias.name
                    if name == statement.module.rpartition(".")[2]:
                        # Importing the submodule binds its name on the package first, so
                        # the name would read as the module: import such a name eagerly.
                        raise RuntimeError(f"{init_file}: {name} shadows its module; import it")
                    sources[name] = statement.module
    if not sources:
        raise RuntimeError(f"{init_file} imports nothing under TYPE_CHECKING to export lazily")
    return sources
