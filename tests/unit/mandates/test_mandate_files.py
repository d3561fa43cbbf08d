"""Specs for reading mandate files: the shipped one loads; every mistake is one line naming
the file, the field and the reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiswarm.errors import ConfigError
from aiswarm.mandates import load_mandate_files
from aiswarm.types import MandateId, MandateStatus
from kit.mandates import SHIPPED_MANDATE, shipped_mandate, write_mandate


def test_load_when_shipped_directory_then_paper_mandate_active_with_every_limit() -> None:
    # Act
    loaded = load_mandate_files(SHIPPED_MANDATE.parent)

    # Assert
    paper = loaded[MandateId("paper")].mandate
    assert paper.status is MandateStatus.ACTIVE
    assert paper.symbols == ("BTC/USD", "ETH/USD")
    assert paper.max_allocation_frac == Decimal("1.0")
    assert paper.max_day_notional_usd is not None
    assert paper.max_leverage is not None
    assert paper.trading_window is not None
    assert paper.strategy_types is not None
    assert "ema_cross" in paper.strategy_types


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_allocation_frac": 5}, r"max_allocation_frac.*was 5; expected a fraction"),
        ({"max_leverage": 0}, r"max_leverage was 0: .*greater than 0"),
        ({"max_notional_usd": "lots"}, r"max_notional_usd: .*'lots' is not a number"),
        ({"colour": "red"}, r"colour is not a mandate field"),
        ({"symbols": []}, r"symbols was \[\]"),
        ({"valid_until": "2017-01-01T00:00:00Z"}, r"valid_until=2017-01-01.* is not after"),
        (
            {"trading_window": {"start": "20:00", "end": "08:00"}},
            r"trading_window: end=08:00 is not after start=20:00",
        ),
        ({"trading_window": {"days": ["monday"]}}, r"trading_window.days.*monday"),
        ({"status": "live"}, r"status was 'live'"),
    ],
    ids=[
        "percent-fraction", "zero-leverage", "text-amount", "unknown-field", "no-symbols",
        "expiry-before-start", "window-wraps", "bad-weekday", "bad-status",
    ],
)  # fmt: skip
def test_load_when_field_invalid_then_one_line_names_file_and_field(
    tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    # Arrange
    path = write_mandate(tmp_path, **fields)

    # Act
    with pytest.raises(ConfigError) as raised:
        load_mandate_files(tmp_path)

    # Assert
    text = str(raised.value)
    assert text.startswith(f"mandate file {path}: ")
    assert "\n" not in text
    assert raised.match(message)


def test_load_when_required_field_missing_then_named(tmp_path: Path) -> None:
    # Arrange
    data = shipped_mandate()
    del data["valid_until"]
    (tmp_path / "paper.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")

    # Act / Assert
    with pytest.raises(ConfigError, match=r"paper.yaml: valid_until is required; fix the file$"):
        load_mandate_files(tmp_path)


def test_load_when_id_differs_from_file_name_then_refused(tmp_path: Path) -> None:
    # Arrange
    path = write_mandate(tmp_path, mandate_id="other")
    path.rename(tmp_path / "paper.yaml")

    # Act / Assert
    with pytest.raises(ConfigError, match=r"mandate_id was 'other', not the file's name 'paper'"):
        load_mandate_files(tmp_path)


def test_load_when_file_is_not_yaml_then_line_named(tmp_path: Path) -> None:
    # Arrange
    (tmp_path / "paper.yaml").write_text("mandate_id: paper\nsymbols: [BTC/USD\n", "utf-8")

    # Act / Assert
    with pytest.raises(ConfigError, match=r"paper.yaml is not valid YAML at line \d"):
        load_mandate_files(tmp_path)


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_load_when_directory_missing_or_empty_then_refused(tmp_path: Path, make: bool) -> None:
    # Arrange
    directory = tmp_path / "mandates"
    if make:
        directory.mkdir()

    # Act / Assert
    with pytest.raises(ConfigError, match="mandates"):
        load_mandate_files(directory)
