"""Authentication of incoming Bot Framework requests, shared by both SDKs.

The channel signs each request with a key published through an OpenID metadata document. Both
SDKs fetch those keys synchronously (botbuilder on the event loop, with no timeout; the Agents SDK
in the default executor, 30 s), so a hanging identity provider froze or starved the server. Here
the keys are fetched with aiohttp under a 10 s timeout, one fetch at a time, and cached for a day
(refreshed early, at most every five minutes, when a token names a key we do not know). The
claims checked are Bot Framework's own rules for channel tokens: RS256 only, a known key endorsed
for the activity's channel, issuer, audience (this app id), expiry, and the service URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import aiohttp
import jwt

log = logging.getLogger(__name__)

OPENID_METADATA = "https://login.botframework.com/v1/.well-known/openidconfiguration"
CHANNEL_ISSUER = "https://api.botframework.com"
FETCH_TIMEOUT_SECONDS = 10.0
KEYS_TTL_SECONDS = 24 * 3600
REFRESH_AT_MOST_EVERY_SECONDS = 300
RETRY_AFTER_FAILURE_SECONDS = 30  # a dead identity provider is asked again after this
LEEWAY_SECONDS = 300  # Bot Framework's own clock-skew allowance


class UnauthorizedError(Exception):
    """The request is not from the Bot Framework channel for this bot; say why in the log."""


class KeysUnavailableError(Exception):
    """The signing keys could not be fetched in time: the request may be genuine, retry later."""


class ChannelTokens:
    """Validates `Authorization: Bearer ...` headers of activities for one app id."""

    def __init__(self, app_id: str, metadata_url: str = OPENID_METADATA) -> None:
        self.app_id = app_id
        self.metadata_url = metadata_url
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = self._failed_at = -float("inf")
        self._lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def validate(self, header: str, channel_id: str, service_url: str) -> dict[str, Any]:
        """The token's verified claims; raises UnauthorizedError or KeysUnavailableError."""
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise UnauthorizedError("no bearer token")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise UnauthorizedError(f"unreadable token: {error}") from error
        if not isinstance(kid, str):
            raise UnauthorizedError("token names no key")
        jwk = await self._key(kid)
        endorsements = jwk.get("endorsements")
        if isinstance(endorsements, list) and channel_id not in endorsements:
            raise UnauthorizedError("key not endorsed for this channel")
        try:
            claims: dict[str, Any] = jwt.decode(
                token, jwt.PyJWK(jwk, algorithm="RS256").key, algorithms=["RS256"],
                audience=self.app_id, issuer=CHANNEL_ISSUER, leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "aud"]})
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise UnauthorizedError(f"invalid token: {error}") from error
        if claims.get("serviceurl", service_url) != service_url:
            raise UnauthorizedError("token issued for another service URL")
        return claims

    async def _key(self, kid: str) -> dict[str, Any]:
        now = time.monotonic()
        stale = now - self._fetched_at > KEYS_TTL_SECONDS
        unknown = kid not in self._keys and now - self._fetched_at > REFRESH_AT_MOST_EVERY_SECONDS
        if stale or unknown:
            async with self._lock:  # one fetch at a time; the others wait for its result
                failed_just_now = now - self._failed_at < RETRY_AFTER_FAILURE_SECONDS
                if self._fetched_at < now and not failed_just_now:
                    await self._refresh()
        if not self._keys:
            raise KeysUnavailableError("no Bot Framework signing keys yet")
        if kid not in self._keys:
            raise UnauthorizedError("unknown signing key")
        return self._keys[kid]

    async def _refresh(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS))
        try:
            async with self._session.get(self.metadata_url) as response:
                response.raise_for_status()
                jwks_uri = (await response.json(content_type=None))["jwks_uri"]
            async with self._session.get(jwks_uri) as response:
                response.raise_for_status()
                keys = (await response.json(content_type=None))["keys"]
            self._keys = {key["kid"]: key for key in keys if isinstance(key.get("kid"), str)}
            self._fetched_at = time.monotonic()
        except (aiohttp.ClientError, TimeoutError, KeyError, TypeError,
                json.JSONDecodeError) as error:
            self._failed_at = time.monotonic()
            raise KeysUnavailableError(f"Bot Framework signing keys unavailable: {error!r}") \
                from error

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
