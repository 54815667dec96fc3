"""Bounded retry with exponential backoff and jitter for the VXP client (design.md §3.7).

The schedule is stamina's (``stamina.retry_context``); :class:`RetryPolicy` is the client's
setting of it. What is retried is decided by the client: transport errors and HTTP 5xx without a
FAIL body, never a FAIL envelope. The wait before retry *n* (1-based) is stamina's
``min(wait_max, wait_initial * wait_exp_base ** (n - 1) + uniform(0, wait_jitter))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long a call may be retried.

    ``attempts`` counts every try, the first included (1 = never retry). ``timeout`` bounds the
    whole call in seconds, tries and waits together: no new try starts when the wait before it
    (without its jitter) would end past that budget.
    """

    attempts: int = 3
    timeout: float = 60.0
    wait_initial: float = 0.2
    wait_max: float = 5.0
    wait_jitter: float = 1.0
    wait_exp_base: float = 2.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if min(self.timeout, self.wait_initial, self.wait_max, self.wait_jitter) < 0:
            raise ValueError("timeout and waits must not be negative")
        if self.wait_exp_base < 1:
            raise ValueError("wait_exp_base must be at least 1")

    def schedule(self) -> dict[str, Any]:
        """The keyword arguments of ``stamina.retry_context`` for this policy."""
        return {
            "attempts": self.attempts,
            # stamina refuses timeout=0 (no retries): the client checks the budget itself.
            "timeout": self.timeout or None,
            "wait_initial": self.wait_initial,
            "wait_max": self.wait_max,
            "wait_jitter": self.wait_jitter,
            "wait_exp_base": self.wait_exp_base,
        }


#: A policy that never retries.
NO_RETRY = RetryPolicy(attempts=1)
