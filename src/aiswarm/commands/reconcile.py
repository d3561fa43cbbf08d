"""`aiswarm reconcile`: compare a stored account's book with its venue's; JSON or Markdown."""

from __future__ import annotations

from pathlib import Path

from aiswarm.config import load_config, resolve_secrets
from aiswarm.config.secret_bytes import secret_bytes
from aiswarm.monitoring.reconciliation import ReconciliationReport
from aiswarm.monitoring.reconciliation_markdown import to_markdown
from aiswarm.runtime.reconcile_stored import reconcile_stored_account

__all__ = ["reconcile_command", "report_text"]


async def reconcile_command(config_path: Path | None, account: str | None) -> ReconciliationReport:
    """Load the config and its secrets (never creating one), reconcile, return the report."""
    config = resolve_secrets(load_config(config_path), create=False).config
    assert config.approval_secret is not None  # resolve_secrets guarantees it
    return await reconcile_stored_account(
        config, secret_bytes(config.approval_secret), account=account
    )


def report_text(report: ReconciliationReport, as_json: bool) -> str:
    """Return the report as JSON (``--json``) or Markdown."""
    if as_json:
        return report.model_dump_json(indent=2)
    return to_markdown(report)
