"""The retry schedule of connectors.vxp.retry (bounded, exponential, jittered)."""

from __future__ import annotations

import pytest

from connectors.vxp.retry import NO_RETRY, RetryPolicy


def test_backoff_grows_exponentially_and_is_capped() -> None:
    """Waits double from wait_initial and never exceed wait_max (no jitter drawn)."""
    policy = RetryPolicy(wait_initial=0.5, wait_max=3.0, wait_jitter=1.0)
    assert [policy.backoff(n, lambda: 0.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_backoff_adds_jitter() -> None:
    """The jitter is wait_jitter times the random draw."""
    policy = RetryPolicy(wait_initial=0.5, wait_max=10.0, wait_jitter=2.0)
    assert policy.backoff(1, lambda: 0.25) == pytest.approx(1.0)


def test_backoff_with_default_random_stays_in_bounds() -> None:
    """With the real random source each wait lies in [base, base + jitter]."""
    policy = RetryPolicy(wait_initial=0.1, wait_max=100.0, wait_jitter=0.5)
    for _ in range(50):
        assert 0.2 <= policy.backoff(2) <= 0.7


def test_huge_retry_numbers_do_not_overflow() -> None:
    """A very large retry number is capped at wait_max instead of overflowing."""
    assert RetryPolicy(wait_max=7.0).backoff(100_000, lambda: 0.0) == 7.0


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
    with pytest.raises(ValueError, match="start at 1"):
        NO_RETRY.backoff(0)
