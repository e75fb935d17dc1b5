"""Migrations in separate processes: replicas starting at once migrate exactly once."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.store.sql import SCHEMA_VERSION, SqlStore, schema_version
from tests.store.conftest import postgres_schema_url

SETUP = """
import asyncio, sys
from bot.store.sql import SqlStore

async def main():
    store = SqlStore(sys.argv[1])
    await store.setup()
    await store.close()

asyncio.run(main())
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'replicas.db'}"
    return postgres_schema_url(request)


async def test_four_processes_running_setup_at_once_record_each_version_once(database_url):
    replicas = [await asyncio.create_subprocess_exec(
        sys.executable, "-c", SETUP, database_url, stderr=asyncio.subprocess.PIPE)
        for _ in range(4)]
    errors = await asyncio.wait_for(asyncio.gather(*(r.communicate() for r in replicas)), 60)
    assert [replica.returncode for replica in replicas] == [0] * 4, errors
    store = SqlStore(database_url)
    try:
        assert await store.schema_version() == SCHEMA_VERSION
        async with store.engine.connect() as connection:
            rows = (await connection.execute(select(func.count()).select_from(
                schema_version))).scalar_one()
        assert rows == SCHEMA_VERSION
    finally:
        await store.close()
