"""The retry policy of connectors.vxp.retry: stamina's schedule, bounded and validated."""

from __future__ import annotations

import inspect

import pytest
import stamina

from connectors.vxp.retry import NO_RETRY, RetryPolicy


def test_the_schedule_is_stamina_s_with_the_policy_s_values() -> None:
    """schedule() hands every value of the policy to stamina.retry_context unchanged."""
    policy = RetryPolicy(
        attempts=4, timeout=9.0, wait_initial=0.5, wait_max=3.0, wait_jitter=0.25, wait_exp_base=3
    )
    assert policy.schedule() == {
        "attempts": 4,
        "timeout": 9.0,
        "wait_initial": 0.5,
        "wait_max": 3.0,
        "wait_jitter": 0.25,
        "wait_exp_base": 3,
    }
    inspect.signature(stamina.retry_context).bind(on=Exception, **policy.schedule())


def test_a_zero_budget_is_checked_by_the_client_not_stamina() -> None:
    """stamina refuses timeout=0, so a zero budget is passed as no stamina timeout."""
    assert RetryPolicy(timeout=0.0).schedule()["timeout"] is None


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"timeout": -1.0}, {"wait_jitter": -0.1}, {"wait_exp_base": 0.5}],
)
def test_invalid_policies_are_refused(options: dict[str, float]) -> None:
    """Nonsense policies fail at construction."""
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**options)  # type: ignore[arg-type]


def test_no_retry_means_one_attempt() -> None:
    """NO_RETRY allows exactly one try."""
    assert NO_RETRY.attempts == 1
    assert NO_RETRY.schedule()["attempts"] == 1
