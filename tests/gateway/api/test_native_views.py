"""The native API's projections of domain values (gateway/api/native/views.py)."""

from __future__ import annotations

import pytest

from gateway.core.model import DeliveryState
from schemas.exchange import CopyState


@pytest.mark.parametrize("state", list(DeliveryState))
def test_every_delivery_state_is_a_copy_state(state: DeliveryState) -> None:
    """Each state of the delivery state machine has its wire value in CopyState (else a copy
    in it would fail to render, and `?state=` would refuse it)."""
    assert CopyState(state.value).value == state.value


def test_copy_states_are_exactly_the_delivery_states() -> None:
    """CopyState has no value the domain does not know."""
    assert {s.value for s in CopyState} == {s.value for s in DeliveryState}
