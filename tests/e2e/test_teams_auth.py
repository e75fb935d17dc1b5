"""Bot Framework authentication with an app id set: a token signed by the channel's published key
is accepted and its activity handled; a token for another app, or signed by another key, is not.

Bot Framework publishes its signing keys through an OpenID metadata document; the edge takes
that address as a parameter (sovereign clouds have their own), so the test publishes a key of
its own from a local HTTP server, in a thread of its own. Every test runs on both SDKs.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.e2e.teams_harness import SDKS, TeamsHarness

APP_ID = "00000000-0000-0000-0000-000000000001"
CHANNEL_ISSUER = "https://api.botframework.com"
KEY_ID = "test-key"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class PublishedKeys:
    """The OpenID metadata document and the key set it points to, served over HTTP."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        keys = {"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "endorsements": ["msteams"]}]}
        published = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                document = ({"issuer": CHANNEL_ISSUER, "jwks_uri": f"{published.url}/keys"}
                            if self.path == "/openid" else keys)
                body = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PublishedKeys:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def channel_token(key: rsa.RSAPrivateKey, service_url: str, audience: str = APP_ID) -> str:
    """A token as Bot Framework's channel issues it to the bot."""
    now = int(time.time())
    claims = {"iss": CHANNEL_ISSUER, "aud": audience, "serviceurl": service_url,
              "nbf": now - 10, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return new_key()


@pytest.fixture
def published(signing_key: rsa.RSAPrivateKey) -> Iterator[PublishedKeys]:
    with PublishedKeys(signing_key) as keys:
        yield keys


@pytest.fixture(params=SDKS)
async def registered_bot(request: pytest.FixtureRequest, tmp_path: Path,
                         published: PublishedKeys) -> AsyncIterator[TeamsHarness]:
    async with TeamsHarness(tmp_path, request.param, openid_metadata=f"{published.url}/openid",
                            microsoft_app_id=APP_ID,
                            microsoft_app_password="not-a-real-secret") as harness:
        yield harness


async def channels_known(bot: TeamsHarness) -> dict[str, str]:
    return await bot.advisor.store.get_records("teams.channel", "T1")


async def test_a_validly_signed_activity_is_accepted_and_handled(registered_bot,
                                                                 signing_key) -> None:
    token = channel_token(signing_key, registered_bot.connector.url)
    installed = registered_bot.installed()
    status = await registered_bot.post(installed, {"Authorization": f"Bearer {token}"})
    assert status == 202  # accepted; the turn runs after the answer, as in anonymous mode
    assert await channels_known(registered_bot)  # the installation was handled and stored


@pytest.mark.parametrize("forgery", ["another app's token", "another key's signature",
                                     "another service URL"])
async def test_a_token_that_is_not_for_this_bot_is_refused(registered_bot, signing_key,
                                                           forgery) -> None:
    url = registered_bot.connector.url
    token = {"another app's token": lambda: channel_token(signing_key, url, audience="other"),
             "another key's signature": lambda: channel_token(new_key(), url),
             "another service URL": lambda: channel_token(signing_key, "https://evil.example/"),
             }[forgery]()
    status = await registered_bot.post(registered_bot.installed(),
                                       {"Authorization": f"Bearer {token}"})
    assert status == 401
    assert await channels_known(registered_bot) == {}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(alg: str, claims: dict[str, Any]) -> str:
    """A token PyJWT refuses to make: `alg: none` (no signature) or HS256 with an empty key."""
    signed = (f"{b64(json.dumps({'alg': alg, 'typ': 'JWT', 'kid': KEY_ID}).encode())}."
              f"{b64(json.dumps(claims).encode())}")
    signature = hmac.new(b"", signed.encode(), hashlib.sha256).digest() if alg == "HS256" else b""
    return f"{signed}.{b64(signature)}"


def forged_tokens(key: rsa.RSAPrivateKey, service_url: str) -> dict[str, str]:
    """The corpus of forgeries an attacker tries first."""
    now = int(time.time())
    claims = {"iss": CHANNEL_ISSUER, "aud": APP_ID, "serviceurl": service_url,
              "nbf": now - 10, "exp": now + 600}
    no_iss = {k: v for k, v in claims.items() if k != "iss"}
    return {
        "alg none": handmade("none", claims),
        "HS256 with an empty key": handmade("HS256", claims),
        "unknown kid": jwt.encode(claims, key, algorithm="RS256", headers={"kid": "other"}),
        "no iss": jwt.encode(no_iss, key, algorithm="RS256", headers={"kid": KEY_ID}),
        "expired": jwt.encode({**claims, "exp": now - 3600}, key, algorithm="RS256",
                              headers={"kid": KEY_ID}),
        "not a JWT at all": "a" * 5000,
    }


@pytest.mark.parametrize("forgery", ["alg none", "HS256 with an empty key", "unknown kid",
                                     "no iss", "expired", "not a JWT at all"])
async def test_a_forged_token_gets_401_with_one_warning_line(registered_bot, signing_key,
                                                             forgery, caplog) -> None:
    token = forged_tokens(signing_key, registered_bot.connector.url)[forgery]
    with caplog.at_level(logging.DEBUG, logger="bot"):
        status = await registered_bot.post(registered_bot.personal("U1", text="start"),
                                           {"Authorization": f"Bearer {token}"})
    assert status == 401
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert [r.levelname for r in ours] == ["WARNING"]
    assert registered_bot.connector.messages == []


async def test_an_activity_from_another_channel_than_teams_is_refused(registered_bot,
                                                                      signing_key) -> None:
    token = channel_token(signing_key, registered_bot.connector.url)
    activity = {**registered_bot.installed(), "channelId": "webchat"}
    status = await registered_bot.post(activity, {"Authorization": f"Bearer {token}"})
    assert status == 400
    assert await channels_known(registered_bot) == {}


@pytest.mark.parametrize("sdk", SDKS)
async def test_only_the_allowed_tenants_are_served(tmp_path, published, signing_key,
                                                   sdk) -> None:
    async with TeamsHarness(tmp_path, sdk, openid_metadata=f"{published.url}/openid",
                            microsoft_app_id=APP_ID, microsoft_app_password="not-a-real-secret",
                            allowed_tenants="T9, T1") as bot:
        token = channel_token(signing_key, bot.connector.url)
        headers = {"Authorization": f"Bearer {token}"}
        other = bot.installed()
        other["conversation"] = {**other["conversation"], "tenantId": "T2"}
        other["channelData"] = {**other["channelData"], "tenant": {"id": "T2"}}
        assert await bot.post(other, headers) == 403
        assert await bot.advisor.store.get_records("teams.channel", "T2") == {}
        assert await bot.post(bot.installed(), headers) == 202
        assert await channels_known(bot)


class SilentServer:
    """An identity provider that accepts connections and never answers."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)  # connections complete in the backlog; nothing reads them
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"

    def close(self) -> None:
        self.socket.close()


@pytest.mark.parametrize("sdk", SDKS)
async def test_a_hanging_identity_provider_never_delays_healthz(tmp_path, signing_key,
                                                                sdk) -> None:
    silent = SilentServer()
    try:
        async with TeamsHarness(tmp_path, sdk, openid_metadata=f"{silent.url}/openid",
                                microsoft_app_id=APP_ID,
                                microsoft_app_password="not-a-real-secret") as bot:
            token = channel_token(signing_key, bot.connector.url)
            async with aiohttp.ClientSession() as http:
                stuck = asyncio.create_task(bot.post(bot.personal("U1", text="start"),
                                                     {"Authorization": f"Bearer {token}"}))
                await asyncio.sleep(0.2)  # let it reach the identity provider
                base = bot.url.removesuffix("/api/messages")
                async with http.get(f"{base}/healthz") as health:
                    assert health.status == 200
                assert not stuck.done()  # the Teams request still waits on the provider
                stuck.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await stuck
    finally:
        silent.close()
