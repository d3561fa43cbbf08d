"""Risk: the pure guard chain, the engine that signs what passes, approvals and the kill switch.

Other rooms use: ``RiskEngine`` (judge and sign), ``ApprovalVerifier`` and ``NonceLedger`` (the
OMS's verify-only side), ``Approved``/``Refused`` (the two verdicts), ``KillSwitch``, and the
views the guards read (``MarketView``, ``ActivityView``, ``PortfolioView``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiswarm.lazy_exports import lazy_exports

# Names load on first use (aiswarm/lazy_exports.py): the config needs only
# ``RiskLimits`` and ``Algorithm``, and `aiswarm events list` should not load the rest.
if TYPE_CHECKING:
    from aiswarm.risk.approval import (
        Algorithm,
        Approval,
        ApprovalRefusal,
        ApprovalRejected,
        ApprovalSigner,
        Approved,
    )
    from aiswarm.risk.approval_encoding import order_fields
    from aiswarm.risk.approval_verifier import ApprovalVerifier
    from aiswarm.risk.engine import Decision, Refused, RiskEngine, decision_payload
    from aiswarm.risk.keyring import (
        Ed25519KeySigner,
        Ed25519Verifier,
        HmacKeyring,
        load_ed25519_private_key,
    )
    from aiswarm.risk.kill_switch import (
        Authorisation,
        KillSwitch,
        KillSwitchChange,
        KillTrigger,
        TripCause,
    )
    from aiswarm.risk.limits import RiskLimits
    from aiswarm.risk.nonce_ledger import NonceLedger
    from aiswarm.risk.refusals import Reason, Refusal
    from aiswarm.risk.views import (
        ActivitySnapshot,
        ActivityView,
        LiquiditySource,
        MarketView,
        OrderFingerprint,
        PortfolioView,
        order_fingerprint,
    )
else:
    __getattr__ = lazy_exports(__name__, __file__)

__all__ = [
    "ActivitySnapshot",
    "ActivityView",
    "Algorithm",
    "Approval",
    "ApprovalRefusal",
    "ApprovalRejected",
    "ApprovalSigner",
    "ApprovalVerifier",
    "Approved",
    "Authorisation",
    "Decision",
    "Ed25519KeySigner",
    "Ed25519Verifier",
    "HmacKeyring",
    "KillSwitch",
    "KillSwitchChange",
    "KillTrigger",
    "LiquiditySource",
    "MarketView",
    "NonceLedger",
    "OrderFingerprint",
    "PortfolioView",
    "Reason",
    "Refusal",
    "Refused",
    "RiskEngine",
    "RiskLimits",
    "TripCause",
    "decision_payload",
    "load_ed25519_private_key",
    "order_fields",
    "order_fingerprint",
]
