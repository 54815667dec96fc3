"""People's passwords: hashed with argon2id, never stored or logged plain.

argon2id with the RFC 9106 "second recommended" profile by default (t=3, 64 MiB, p=4: about
50-100 ms per hash on a server core); tests pass a cheaper :class:`Passwords`. Hashing runs off
the event loop (:func:`asyncio.to_thread`): a sign-in must not stall the node's other requests.
A stored hash made with weaker parameters than the current ones is re-hashed at the next
successful sign-in (:meth:`Passwords.needs_rehash`).
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

#: Shortest password accepted (characters); generated ones are longer.
MIN_PASSWORD = 10
#: Longest password accepted: argon2 hashes any length, a megabyte "password" is a DoS.
MAX_PASSWORD = 256


class Passwords:
    """Hash and check passwords with argon2id."""

    def __init__(
        self, *, time_cost: int = 3, memory_kib: int = 65536, parallelism: int = 4
    ) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # Checked against when the username is unknown, so that an unknown name costs the same
        # time as a wrong password (no user enumeration by timing); made at the first need, so
        # that commands which never check a password do not pay for it.
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        """The argon2id hash of ``password`` (what the store keeps)."""
        return await asyncio.to_thread(self._hasher.hash, password)

    async def check(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored`` (None: an unknown user, always False)."""

        def run() -> bool:
            if stored is None and self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
            try:
                return self._hasher.verify(stored or self._dummy or "", password) and bool(stored)
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.to_thread(run)

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than the current ones."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True


def new_password() -> str:
    """A random password (printed once when an admin gives none): 20 URL-safe characters."""
    return secrets.token_urlsafe(15)
