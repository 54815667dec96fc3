"""The node's domain: domain model (dataclasses), ports (Protocols) and use cases.

This package imports no FastAPI, SQLAlchemy, aio-pika or httpx: it talks to ports, and the adapters
behind them live in ``gateway.store``, ``connectors`` and ``gateway.api`` (design.md §2, enforced by
``tests/test_architecture.py``). It is filled by the exchange-engine issue.
"""
