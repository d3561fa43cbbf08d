"""An account's OMS refuses an order approved for another account (issue 15, item 5).

Defect guarded against: the OMS never looked at the order's account, so where accounts share the
approval key an approval signed for ``acct-2`` was accepted by ``acct-1``'s OMS and sent to its
venue. Now the OMS belongs to the account it was built for and refuses any other with
``WRONG_ACCOUNT``, recorded as ``order.refused`` like every other refusal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiswarm.orchestration import client_order_id_for
from aiswarm.risk import Algorithm, ApprovalSigner
from aiswarm.runtime.approval_keys import signing_keys
from aiswarm.types import AccountId, OrderSpec
from kit.builders import ACCOUNT
from kit.spine import SECRET, open_desk

pytestmark = pytest.mark.integration

OTHER = AccountId("acct-2")


async def test_submit_when_approved_for_another_account_then_refused_and_recorded(
    tmp_path: Path,
) -> None:
    # Arrange: acct-2's risk engine signs with the key acct-1 shares
    desk = await open_desk(tmp_path / "a.db")
    intent = desk.intent("0.1", account=OTHER)
    spec = OrderSpec.from_intent(intent, client_order_id_for(intent), intent.ts_event)
    signer = signing_keys(SECRET, Algorithm.HMAC_SHA256).signer
    approved = ApprovalSigner(signer, ttl_ns=5 * 10**9).approve(spec, desk.clock.now_ns())

    # Act
    result = await desk.spine.oms.submit(approved, mark=desk.mark)

    # Assert: refused, recorded, and nothing reached acct-1's venue
    assert not result.accepted
    assert result.code == "WRONG_ACCOUNT"
    assert f"account={OTHER}" in result.detail
    assert f"oms_account={ACCOUNT}" in result.detail
    refused = [event.payload async for event in desk.store.replay(types=["order.refused"])]
    assert refused == [
        {"client_order_id": spec.client_order_id, "code": "WRONG_ACCOUNT", "detail": result.detail}
    ]
    assert desk.spine.oms.orders == {}
    assert await desk.venue.open_orders() == []
    assert not desk.spine.oms.is_nonce_used(approved.approval.nonce)
    await desk.store.close()
