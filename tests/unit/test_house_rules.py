"""House rules that keep the code honest: injected time and chance, imports only downward."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from aiswarm.types import EventType

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "aiswarm"
REPO = PACKAGE.parents[1]

# Where a registered event type's text may appear outside the registry: words that other enums
# happen to share, and the modules being rewritten on another branch (their strings equal
# registered values, or the store would refuse them; the rewrite switches them to EventType).
_TYPE_TEXT_ALLOWED = {
    ("execution/venue.py", "funding"),  # ReportKind.FUNDING
    ("market/feed.py", "funding"),  # FeedSchema.FUNDING
}
# module -> attributes that read the wall clock or an unseeded random source
_FORBIDDEN_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
_FORBIDDEN_FROM_IMPORTS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            pair = (node.value.id, node.attr)
            if pair in _FORBIDDEN_CALLS:
                found.append(f"{path}:{node.lineno}: {pair[0]}.{pair[1]}")
            # The `random` module's functions share one hidden, unseeded generator.
            if node.value.id == "random" and node.attr != "Random":
                found.append(f"{path}:{node.lineno}: random.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            # random.Random() and numpy's default_rng() without a seed are unseeded.
            if func.attr in {"Random", "default_rng"} and not node.args and not node.keywords:
                found.append(f"{path}:{node.lineno}: {func.attr}() without a seed")
            if (
                isinstance(func.value, ast.Attribute)
                and func.value.attr == "random"
                and func.attr not in {"default_rng", "Generator", "PCG64"}
            ):
                found.append(f"{path}:{node.lineno}: numpy random.{func.attr} (global state)")
        if isinstance(node, ast.ImportFrom) and node.module in {"time", "random"}:
            for alias in node.names:
                if (node.module, alias.name) in _FORBIDDEN_FROM_IMPORTS or node.module == "random":
                    found.append(f"{path}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def test_source_when_scanned_then_only_clock_module_reads_wall_clock_or_unseeded_rng() -> None:
    # Arrange
    modules = [p for p in PACKAGE.rglob("*.py") if p.name != "clock.py" or p.parent != PACKAGE]

    # Act
    violations = [v for path in modules for v in _violations(path)]

    # Assert
    assert violations == []


def test_scanner_when_fed_wall_clock_reads_then_reports_them(tmp_path: Path) -> None:
    # Arrange: prove the scanner above can fail.
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time, random\nfrom datetime import datetime\n"
        "a = time.time()\nb = datetime.now()\nc = random.random()\nd = random.Random()\n",
        encoding="utf-8",
    )

    # Act
    violations = _violations(sample)

    # Assert
    assert len(violations) == 4


def test_imports_when_checked_then_only_go_down_the_house_plan() -> None:
    # Act
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_imports.py"), str(PACKAGE)],
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result.returncode == 0, result.stdout


def test_import_checker_when_risk_imports_execution_then_fails(tmp_path: Path) -> None:
    # Arrange
    risk = tmp_path / "risk"
    risk.mkdir()
    (risk / "engine.py").write_text("from aiswarm.execution import oms\n", encoding="utf-8")

    # Act
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "check_imports.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )

    # Assert
    assert result.returncode == 1
    assert "'risk' may not import 'aiswarm.execution'" in result.stdout


def test_source_when_scanned_then_event_types_are_spelt_only_in_the_registry() -> None:
    # Arrange
    registered = {member.value for member in EventType}
    found: list[str] = []

    # Act
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module == "types/events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and node.value in registered
                and (module, node.value) not in _TYPE_TEXT_ALLOWED
            ):
                found.append(f"{module}:{node.lineno}: {node.value!r}")

    # Assert: use the EventType member, so the one registry is the only spelling
    assert found == []
