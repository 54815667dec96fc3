"""The real services CI provides answer a handshake (PostgreSQL query, RabbitMQ channel)."""

from __future__ import annotations

import aio_pika
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = pytest.mark.services


async def test_postgresql_answers_a_query(postgres_url: str) -> None:
    """The PostgreSQL test database accepts a connection and runs a query."""
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("select 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


async def test_rabbitmq_opens_a_channel(amqp_url: str) -> None:
    """RabbitMQ accepts a connection and declares (then deletes) an exclusive queue."""
    connection = await aio_pika.connect(amqp_url, timeout=10)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(exclusive=True, auto_delete=True)
        assert queue.name.startswith("amq.gen")
