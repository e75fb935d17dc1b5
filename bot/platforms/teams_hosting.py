"""botbuilder hosting: authentication from the settings, and connector clients reused per URL.

botbuilder's CloudAdapter builds a ConnectorClient and a user-token client on every turn, and
each build costs ~2.7 ms in msrest's ClientRetryPolicy: most of a bare turn. Wrapping the
authentication so its factories hand out one client per (service URL, audience) removes that
without touching botbuilder. Every botbuilder import of the project lives in teams*.py, so moving
to the Microsoft 365 Agents SDK touches these modules only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ConnectorFactory,
)

from bot.settings import Settings

MAX_REUSED_CLIENTS = 64


@dataclass(frozen=True)
class BotConfig:
    """The configuration object botbuilder reads: its attribute names, our settings."""

    APP_ID: str | None
    APP_PASSWORD: str | None
    APP_TYPE: str
    APP_TENANTID: str | None


def bot_config(settings: Settings) -> BotConfig:
    """botbuilder's view of the MICROSOFT_APP_* settings."""
    password = settings.microsoft_app_password
    return BotConfig(APP_ID=settings.microsoft_app_id,
                     APP_PASSWORD=password.get_secret_value() if password else None,
                     APP_TYPE=settings.microsoft_app_type,
                     APP_TENANTID=settings.microsoft_app_tenant_id)


class ReusingConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: Any, clients: dict[tuple[str, str | None], Any]) -> None:
        self._inner = inner
        self._clients = clients

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (service_url, audience)
        if key not in self._clients:
            if len(self._clients) >= MAX_REUSED_CLIENTS:
                # Teams uses a handful of regional service URLs; past that (a flood of made-up
                # ones in anonymous mode, say), build per turn as botbuilder does, unbounded by us.
                return await self._inner.create(service_url, audience)
            self._clients[key] = await self._inner.create(service_url, audience)
        return self._clients[key]


class ReusingAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """Delegates to botbuilder's authentication; builds each msrest client once."""

    def __init__(self, settings: Settings) -> None:
        self._inner = ConfigurationBotFrameworkAuthentication(bot_config(settings))
        self.clients: dict[tuple[str, str | None], Any] = {}
        self._token_clients: dict[str, Any] = {}

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        result = await self._inner.authenticate_request(activity, auth_header)
        result.connector_factory = ReusingConnectorFactory(result.connector_factory,
                                                            self.clients)
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id: str) -> Any:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id)

    def create_connector_factory(self, claims_identity: Any) -> Any:
        return ReusingConnectorFactory(self._inner.create_connector_factory(claims_identity),
                                        self.clients)

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        # The bot signs nobody in, but botbuilder builds this client every turn regardless.
        app_id = str(claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM))
        if app_id not in self._token_clients:
            self._token_clients[app_id] = await self._inner.create_user_token_client(
                claims_identity)
        return self._token_clients[app_id]

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        return await self._inner.authenticate_channel_request(auth_header)

    async def close(self) -> None:
        """Close the reused clients' HTTP sessions."""
        for client in self.clients.values():
            await client.__aexit__(None, None, None)
        self.clients.clear()
