"""The shipped Prometheus and Alertmanager configs pass their own tools' checks and tests.

promtool and amtool come from the Debian packages `prometheus` and `prometheus-alertmanager`
(`make tools` installs them; `make test` runs it first).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
REQUIRED_ALERTS = {
    "AiswarmDown",
    "KillSwitchTripped",
    "TradingNotActive",
    "DrawdownNearLimit",
    "DailyLossNearLimit",
    "ReconciliationDrift",
    "CycleOverrun",
    "CycleMissed",
    "VenueErrorRate",
    "CircuitBreakerOpen",
}


def _tool(name: str) -> str:
    found = shutil.which(name)
    assert found is not None, f"{name} is not installed; run `make tools`"
    return found


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, cwd=cwd, timeout=120, check=False
    )


def test_scrape_config_when_checked_by_promtool_then_valid(tmp_path: Path) -> None:
    # Arrange: the repository's layout, with the key file `aiswarm run` creates in paper mode
    shutil.copytree(REPO / "prometheus", tmp_path / "prometheus")
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "api_key").write_text("k" * 48, encoding="utf-8")

    # Act
    checked = _run(_tool("promtool"), "check", "config", "prometheus/prometheus.yml", cwd=tmp_path)

    # Assert
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "10 rules found" in checked.stdout + checked.stderr


def test_alert_rules_when_checked_and_unit_tested_by_promtool_then_pass() -> None:
    # Act
    checked = _run(_tool("promtool"), "check", "rules", "prometheus/alerts.yml", cwd=REPO)
    tested = _run(_tool("promtool"), "test", "rules", "prometheus/tests/alerts_test.yml", cwd=REPO)

    # Assert
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout + tested.stderr


def test_alert_rules_when_listed_then_cover_every_required_condition_with_a_unit_test() -> None:
    # Arrange
    rules = yaml.safe_load((REPO / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    tests = yaml.safe_load(
        (REPO / "prometheus" / "tests" / "alerts_test.yml").read_text(encoding="utf-8")
    )

    # Act
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    firing_in_tests = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }

    # Assert
    assert names == REQUIRED_ALERTS
    assert firing_in_tests == REQUIRED_ALERTS, "every rule has a unit test where it fires"


def test_alertmanager_config_when_checked_by_amtool_then_valid() -> None:
    # Act
    checked = _run(_tool("amtool"), "check-config", "alertmanager/alertmanager.yml", cwd=REPO)

    # Assert
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "2 receivers" in checked.stdout
