"""The store's figures: one turn's round trip (load + compare-and-set save) on each backend.

Run: python benchmarks/store.py [--rounds N] [--concurrency C]. For each backend it prints the
median and p99 latency of one turn's load + save, done one after another on one conversation,
and the load+save pairs per second with C turns in flight on different conversations.
PostgreSQL and Redis come from BENCH_POSTGRES_URL and BENCH_REDIS_URL (default: the local
servers); the run uses its own schema and key prefix and removes them afterwards. A backend
that does not answer is reported as unavailable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from redis import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.core.engine import Engine
from bot.store.base import ConversationKey, Store
from bot.store.redis import RedisConversationStore
from bot.store.sql import SqlStore

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


async def turn(store: Store, key: ConversationKey, engine: Engine) -> None:
    """One turn's store work: load the conversation, save the next version (create if none)."""
    now = datetime.now(UTC)
    stored = await store.load(key, now)
    if stored is None:
        await store.save(key, engine.start("bench", now).conversation, None, now)
        return
    following = stored.model_copy(update={"version": stored.version + 1, "updated_at": now})
    await store.save(key, following, stored.version, now)


async def latency(store: Store, engine: Engine, rounds: int) -> tuple[float, float]:
    """Median and p99 of one turn's round trip, in milliseconds, one turn at a time."""
    key = ConversationKey("bench", "W", "C", uuid.uuid4().hex)
    for _ in range(min(rounds, 50)):
        await turn(store, key, engine)  # warm the pool and the statement caches
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await turn(store, key, engine)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.99) - 1)]


async def throughput(store: Store, engine: Engine, rounds: int, concurrency: int) -> float:
    """Load+save pairs per second with `concurrency` conversations turning at once."""
    keys = [ConversationKey("bench", "W", "C", uuid.uuid4().hex) for _ in range(concurrency)]
    per_key = max(1, rounds // concurrency)

    async def worker(key: ConversationKey) -> None:
        for _ in range(per_key):
            await turn(store, key, engine)

    start = time.perf_counter()
    await asyncio.gather(*(worker(key) for key in keys))
    return per_key * concurrency / (time.perf_counter() - start)


@asynccontextmanager
async def sqlite_store(directory: Path) -> AsyncIterator[Store]:
    """SQLite in a temporary file (WAL, as in production)."""
    store = SqlStore(f"sqlite:///{directory / 'bench.db'}")
    yield store
    await store.close()


@asynccontextmanager
async def postgres_store(_: Path) -> AsyncIterator[Store]:
    """PostgreSQL in a schema of its own, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = SqlStore(POSTGRES_URL)
    async with admin.engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    store = SqlStore(f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema}')}")
    try:
        yield store
    finally:
        await store.close()
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.close()


@asynccontextmanager
async def redis_store(directory: Path) -> AsyncIterator[Store]:
    """Redis under a key prefix of its own (history in SQLite), its keys deleted afterwards."""
    prefix = f"osc-bench-{uuid.uuid4().hex[:12]}:"
    store = RedisConversationStore(REDIS_URL, SqlStore(f"sqlite:///{directory / 'h.db'}"),
                                   prefix=prefix)
    try:
        yield store
    finally:
        keys = [key async for key in store.redis.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await store.redis.delete(*keys)
        await store.close()


BACKENDS: dict[str, Callable[[Path], AbstractAsyncContextManager[Store]]] = {
    "sqlite": sqlite_store, "postgresql": postgres_store, "redis": redis_store}


async def measure(name: str, rounds: int, concurrency: int) -> str:
    """One row of the table for one backend."""
    engine = Engine.default()
    with tempfile.TemporaryDirectory() as directory:
        try:
            async with BACKENDS[name](Path(directory)) as store:
                await store.setup()
                median, p99 = await latency(store, engine, rounds)
                rate = await throughput(store, engine, rounds, concurrency)
        except (OSError, SQLAlchemyError, RedisError) as error:
            return f"{name:<12}unavailable: {error}"
    return f"{name:<12}{median:>12.2f}{p99:>12.2f}{rate:>16.0f}"


async def main() -> None:
    """Print the figures as a small table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    print(f"{'backend':<12}{'median ms':>12}{'p99 ms':>12}"
          f"{f'turns/s (x{args.concurrency})':>16}")
    for name in BACKENDS:
        print(await measure(name, args.rounds, args.concurrency))


if __name__ == "__main__":
    asyncio.run(main())
