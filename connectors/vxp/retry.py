"""Bounded retry with exponential backoff and jitter for the VXP client (design.md §3.7).

stamina's schedule, written out because ``connectors`` may import only the stdlib, httpx, aio-pika
and edxml (design.md §2, enforced by tests/test_architecture.py). What is retried is decided by
the client: transport errors and HTTP 5xx without a FAIL body, never a FAIL envelope.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long a call may be retried.

    ``attempts`` counts every try, the first included (1 = never retry). ``timeout`` bounds the
    whole call in seconds, tries and waits together: no new try starts when the wait before it
    would end past that budget. The wait before retry *n* (1-based) is
    ``min(wait_max, wait_initial * wait_exp_base ** (n - 1) + uniform(0, wait_jitter))``.
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

    def backoff(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait before retry number ``retry`` (1-based), jitter drawn from ``rand``."""
        if retry < 1:
            raise ValueError("retry numbers start at 1")
        # The exponent is capped so that a large retry number cannot overflow the float.
        base = self.wait_initial * self.wait_exp_base ** min(retry - 1, 64)
        return min(self.wait_max, base + self.wait_jitter * rand())


#: A policy that never retries.
NO_RETRY = RetryPolicy(attempts=1)
