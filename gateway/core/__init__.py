"""The node's domain: domain model (dataclasses), ports (Protocols) and use cases.

This package imports no FastAPI, SQLAlchemy, aio-pika or httpx: it talks to ports, and the adapters
behind them live in ``gateway.store``, ``connectors`` and ``gateway.api`` (design.md §2, enforced by
``tests/test_architecture.py``). The delivery state machine (:mod:`gateway.core.delivery`) and the
work messages (:mod:`gateway.core.work`) are written here once; the use cases are accept
(:mod:`gateway.core.accept`), exchange, routing, the registry and calendar administration.
"""
