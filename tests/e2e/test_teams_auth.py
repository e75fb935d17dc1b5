"""Bot Framework authentication with an app id set: a token signed by the channel's published key
is accepted and its activity handled; a token for another app, or signed by another key, is not.

Bot Framework publishes its signing keys through an OpenID metadata document; botbuilder lets
that address be changed (`ChannelValidation.open_id_metadata_endpoint`, there for sovereign
clouds), so the test publishes a key of its own from a local HTTP server. botbuilder fetches the
keys with blocking `requests` calls, so that server runs in a thread of its own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.e2e.teams_harness import TeamsHarness

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
def published(signing_key: rsa.RSAPrivateKey,
              monkeypatch: pytest.MonkeyPatch) -> Iterator[PublishedKeys]:
    with PublishedKeys(signing_key) as keys:
        monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", f"{keys.url}/openid")
        yield keys


@pytest.fixture
async def registered_bot(tmp_path: Path, published: PublishedKeys) -> AsyncIterator[TeamsHarness]:
    del published  # only needed to be running
    async with TeamsHarness(tmp_path, microsoft_app_id=APP_ID,
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
