"""Accepting a package: the send use case, in modules of one concept each.

| module | what |
|---|---|
| :mod:`~gateway.core.accept.request` | what a send carries and what the settings decide |
| :mod:`~gateway.core.accept.checks` | size, parse, validation, sender, idempotency, signature |
| :mod:`~gateway.core.accept.recipients` | recipients through the registry, succession, links |
| :mod:`~gateway.core.accept.links` | revoke/update/replace and statuses matched to their copies |
| :mod:`~gateway.core.accept.plans` | the plan the store commits, and the work it leaves |
| :mod:`~gateway.core.accept.acceptor` | :class:`Acceptor`: the steps in order, one transaction |
"""

from gateway.core.accept.acceptor import Acceptor
from gateway.core.accept.request import AcceptConfig, SendRequest

__all__ = ["AcceptConfig", "Acceptor", "SendRequest"]
