"""Rotating ENCRYPTION_KEY re-encrypts the stored Slack tokens and refresh tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from slack_sdk.oauth.installation_store.models.bot import Bot

from bot.crypto import TokenCipher, generate_key
from bot.platforms.slack.oauth import BOTS, RecordInstallationStore
from bot.store.sql import SqlStore


def rotate(database_url: str, keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ENCRYPTION_KEY", "REDIS_URL")}
    env["DATABASE_URL"] = database_url
    if keys is not None:
        env["ENCRYPTION_KEY"] = keys
    return subprocess.run([sys.executable, "-m", "bot.cli", "rotate-keys"], env=env, text=True,
                          capture_output=True, check=False, timeout=60)


async def install(database_url: str, cipher: TokenCipher) -> None:
    store = SqlStore(database_url)
    await store.setup()
    try:
        await RecordInstallationStore(store, cipher).async_save_bot(Bot(
            app_id="A1", team_id="T1", bot_token="xoxb-secret", bot_id="B1",
            bot_user_id="U0", installed_at=1.0, bot_refresh_token="xoxe-1-refresh",
            bot_token_expires_at=2_000_000_000))
    finally:
        await store.close()


async def stored_token(database_url: str, name: str = "bot_token") -> str:
    store = SqlStore(database_url)
    try:
        record = (await store.get_records(BOTS, "installations"))["-:T1"]
    finally:
        await store.close()
    return str(json.loads(record)[name])


def test_rotate_keys_moves_stored_tokens_to_the_newest_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    old, new = generate_key(), generate_key()
    asyncio.run(install(url, TokenCipher(old)))
    result = rotate(url, f"{new},{old}")
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted 1" in result.stdout
    assert TokenCipher(new).decrypt(asyncio.run(stored_token(url))) == "xoxb-secret"
    refresh = asyncio.run(stored_token(url, "bot_refresh_token"))
    assert TokenCipher(new).decrypt(refresh) == "xoxe-1-refresh"  # rotating tokens' too


def test_rotate_keys_without_the_old_key_fails_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    old = generate_key()
    asyncio.run(install(url, TokenCipher(old)))
    before = asyncio.run(stored_token(url))
    result = rotate(url, generate_key())
    assert result.returncode == 2 and "keep the old key" in result.stderr
    assert asyncio.run(stored_token(url)) == before
    assert rotate(url, None).returncode == 2
