"""A started node with one person of each role, each with a personal token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gateway.core.actors import Role
from gateway.core.passwords import Passwords
from gateway.runtime import Runtime
from tests.gateway.api.native_support import NativeNode, open_node

#: argon2id at its cheapest: these tests check behaviour, not cost.
CHEAP = Passwords(time_cost=1, memory_kib=8, parallelism=1)
PASSWORD = "a long enough password"
#: The username of each role's person.
PEOPLE = {Role.ADMIN: "root", Role.OPERATOR: "olga", Role.AUDITOR: "ali"}


@dataclass
class PeopleNode:
    """The node, its systems (``native``) and a personal token per person."""

    native: NativeNode
    tokens: dict[str, str]

    @property
    def client(self) -> httpx.AsyncClient:
        """The HTTP client on the node."""
        return self.native.client

    @property
    def runtime(self) -> Runtime:
        """The node's open resources."""
        return self.native.runtime

    def auth(self, who: str | Role | None) -> dict[str, str]:
        """The Authorization header of a person (a username or a role); none for None."""
        if who is None:
            return {}
        name = PEOPLE[who] if isinstance(who, Role) else who
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@asynccontextmanager
async def open_people_node(tmp_path: Path) -> AsyncIterator[PeopleNode]:
    """A node with the systems of native_support and the people of :data:`PEOPLE`."""
    async with open_node(tmp_path) as native:
        people = native.runtime.people
        people.passwords = CHEAP
        tokens = {}
        for role, name in PEOPLE.items():
            await people.add(name, role, password=PASSWORD)
            tokens[name] = await people.create_token(name)
        yield PeopleNode(native, tokens)
