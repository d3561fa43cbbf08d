"""`make install` (run by `make run` and `make test`): visible on the first run, silent after it.

The Makefile is copied beside an empty lock, and make is asked what it would do (``-n``) or
whether anything is left to do (``-q``), so nothing is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("make") is None, reason="needs make"),
]

REPO = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "requirements").mkdir()
    (tmp_path / "requirements" / "lock.txt").write_text("", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    return tmp_path


def _make(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args, "install", f"VENV={project / 'venv'}"],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
        check=False,
    )


def test_install_when_first_run_then_says_it_takes_minutes_and_pip_shows_progress(
    tmp_path: Path,
) -> None:
    # Act
    planned = _make(_project(tmp_path), "-n")

    # Assert
    assert planned.returncode == 0, planned.stderr
    lines = planned.stdout.splitlines()
    notice = next(i for i, line in enumerate(lines) if "first run takes a few minutes" in line)
    lock = next(i for i, line in enumerate(lines) if "-r requirements/lock.txt" in line)
    assert notice < lock
    assert "--quiet" not in lines[lock]


def test_install_when_stamp_newer_than_lock_then_nothing_to_do(tmp_path: Path) -> None:
    # Arrange: a finished install
    project = _project(tmp_path)
    (project / "venv" / "bin").mkdir(parents=True)
    (project / "venv" / "bin" / "python").touch()
    stamp = project / "venv" / ".installed"
    stamp.touch()
    lock_time = (project / "requirements" / "lock.txt").stat().st_mtime
    os.utime(stamp, (lock_time + 10, lock_time + 10))

    # Act
    again = _make(project, "-q")

    # Assert: exit 0 from `make -q` means every target is up to date
    assert again.returncode == 0, again.stdout + again.stderr
