"""Time how long quick `aiswarm` commands take to start, beside a same-run baseline.

Usage: python tools/startup_times.py [--repeats N] [SRC ...]

Each SRC (default: src) is a source tree put on PYTHONPATH, so the code of two commits can be
compared in one run (check the older one out with `git worktree add`). Every round runs, in
turn, the two baselines (`python -c pass`, `python -c "import sqlalchemy"`, the store's own
floor) and `aiswarm --help`, `events list` and `events verify` for each tree, on an event store
made once by the first tree. Prints a Markdown table: median wall seconds (min-max) and median
CPU seconds (user + system, which a busy machine inflates less than wall time).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _run(command: list[str], source: str | None) -> tuple[float, float]:
    """Run ``command``; return its wall and CPU seconds."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = source
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Our own interpreter running our own package: the arguments are this script's.
    subprocess.run(  # noqa: S603
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def main() -> int:
    """Print the table; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("sources", nargs="*", default=["src"])
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'events.db'}"
        _run([python, "-m", "aiswarm.cli", "events", "list", "--db", url], args.sources[0])
        cases: list[tuple[str, str | None, list[str]]] = [
            ("python -c pass", None, [python, "-c", "pass"]),
            ("python -c 'import sqlalchemy'", None, [python, "-c", "import sqlalchemy"]),
        ]
        for source in args.sources:
            for words in (["--help"], ["events", "list"], ["events", "verify"]):
                extra = ["--db", url] if words[0] == "events" else []
                command = [python, "-m", "aiswarm.cli", *words, *extra]
                cases.append((f"{source}: aiswarm {' '.join(words)}", source, command))
        times: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in cases}
        for _ in range(args.repeats):
            for label, source, command in cases:
                times[label].append(_run(command, source))
    print("| command | wall s, median (min-max) | CPU s, median |")
    print("|---|---|---|")
    for label, runs in times.items():
        walls = [wall for wall, _ in runs]
        cpu = statistics.median(c for _, c in runs)
        print(
            f"| {label} | {statistics.median(walls):.2f} ({min(walls):.2f}-{max(walls):.2f}) "
            f"| {cpu:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
