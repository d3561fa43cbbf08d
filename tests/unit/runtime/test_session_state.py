"""The session lifecycle table: every row holds, every other pair is refused."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiswarm.errors import InvalidTransition
from aiswarm.runtime.session_state import TRANSITIONS, SessionState, SessionTrigger, apply


@pytest.mark.parametrize(("source", "trigger"), sorted(TRANSITIONS))
def test_apply_when_row_in_table_then_reaches_its_target(
    source: SessionState, trigger: SessionTrigger
) -> None:
    assert apply(source, trigger) is TRANSITIONS[(source, trigger)]


@pytest.mark.parametrize(
    ("source", "trigger"),
    [pair for pair in itertools.product(SessionState, SessionTrigger) if pair not in TRANSITIONS],
)
def test_apply_when_pair_not_in_table_then_refused_naming_it(
    source: SessionState, trigger: SessionTrigger
) -> None:
    with pytest.raises(InvalidTransition, match=f"{source.name} -> {trigger.name}"):
        apply(source, trigger)


@given(st.lists(st.sampled_from(list(SessionTrigger)), max_size=30))
def test_apply_when_any_sequence_then_stopped_is_left_only_by_a_restart(
    triggers: list[SessionTrigger],
) -> None:
    state = SessionState.CREATED
    for trigger in triggers:
        try:
            following = apply(state, trigger)
        except InvalidTransition:
            continue
        if state is SessionState.STOPPED and trigger not in (
            SessionTrigger.START,
            SessionTrigger.PAUSE,
        ):
            pytest.fail(f"left STOPPED with {trigger}")
        state = following
