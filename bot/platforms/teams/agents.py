"""The Bot Connector on the Microsoft 365 Agents SDK (the default; supported by Microsoft).

The SDK's connector client is asynchronous (aiohttp), so nothing here blocks the event loop: one
client per service URL, each with its own session and a total timeout per call. The bot's token
comes from the SDK's MSAL connection manager, configured by code from the MICROSOFT_APP_*
settings (the operator never writes CONNECTIONS__...); MSAL caches it, and the SDK runs MSAL's
blocking fetch in a thread. Without an app id (local anonymous mode) no token is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity, ChannelAccount, ConversationParameters
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from bot.platforms.teams.connector import CALL_TIMEOUT_SECONDS, ConnectorError, Credentials

MAX_REUSED_CLIENTS = 64  # Teams uses a handful of regional service URLs
BOT_FRAMEWORK = "https://api.botframework.com"


def connection_settings(credentials: Credentials) -> dict[str, Any]:
    """The Agents SDK's CONNECTIONS configuration for the MICROSOFT_APP_* settings."""
    settings: dict[str, Any] = {"CLIENTID": credentials.app_id}
    if credentials.app_type == "UserAssignedMSI":
        settings["AUTHTYPE"] = "UserManagedIdentity"
    else:
        settings |= {"AUTHTYPE": "ClientSecret", "CLIENTSECRET": credentials.password,
                     "TENANTID": (credentials.tenant_id if credentials.app_type == "SingleTenant"
                                  else "botframework.com")}
    return {"SERVICE_CONNECTION": {"SETTINGS": settings}}


class SdkConnector:
    """Bot Connector calls through the Agents SDK's ConnectorClient."""

    sdk = "agents"

    def __init__(self, credentials: Credentials) -> None:
        self._tokens = (MsalConnectionManager(CONNECTIONS=connection_settings(credentials))
                        .get_default_connection() if credentials.app_id else None)
        self._clients: dict[str, ConnectorClient] = {}
        self._fetching: asyncio.Future[str] | None = None

    def _token(self) -> asyncio.Future[str]:
        """The bot's token, from MSAL's cache or the identity provider. MSAL blocks, so the SDK
        runs it in the default executor; sharing one fetch between the turns that need a token
        at the same moment keeps a hanging provider to one stuck thread, not one per turn."""
        assert self._tokens is not None  # noqa: S101  (only called with credentials)
        if self._fetching is None or self._fetching.done():
            self._fetching = asyncio.ensure_future(self._tokens.get_access_token(
                BOT_FRAMEWORK, [f"{BOT_FRAMEWORK}/.default"]))
            # Its failure reaches the turns awaiting it; one that timed out is not re-raised.
            self._fetching.add_done_callback(lambda done: done.cancelled() or done.exception())
        return self._fetching

    @contextlib.asynccontextmanager
    async def _client(self, service_url: str) -> AsyncIterator[ConnectorClient]:
        """The service URL's client, with a fresh token; failures become ConnectorError."""
        client = self._clients.get(service_url)
        # Teams uses a handful of regional service URLs; past the bound (a flood of made-up
        # ones in anonymous mode, say) a client is built for the call and closed after it.
        temporary = client is None and len(self._clients) >= MAX_REUSED_CLIENTS
        if client is None:
            timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_SECONDS)
            session = aiohttp.ClientSession(base_url=_with_slash(service_url), timeout=timeout)
            client = ConnectorClient(service_url, "", session=session)
            if not temporary:
                self._clients[service_url] = client
        try:
            if self._tokens is not None:
                token = await asyncio.wait_for(asyncio.shield(self._token()),
                                               CALL_TIMEOUT_SECONDS)
                client.client.headers["Authorization"] = f"Bearer {token}"
            yield client
        except aiohttp.ClientResponseError as error:
            raise ConnectorError(error.status) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise ConnectorError(None, f"Bot Connector unreachable: {error!r}") from error
        finally:
            if temporary:
                await client.close()

    async def send(self, service_url: str, conversation: str, activity: dict[str, Any],
                   reply_to: str | None = None) -> str:
        """Send, or reply with, an activity; its id."""
        body = Activity.model_validate(activity)
        async with self._client(service_url) as client:
            if reply_to:
                sent = await client.conversations.reply_to_activity(conversation, reply_to, body)
            else:
                sent = await client.conversations.send_to_conversation(conversation, body)
        return str(sent.id or "")

    async def update(self, service_url: str, conversation: str, activity_id: str,
                     activity: dict[str, Any]) -> None:
        """Replace a sent activity."""
        body = Activity.model_validate({**activity, "id": activity_id})
        async with self._client(service_url) as client:
            await client.conversations.update_activity(conversation, activity_id, body)

    async def create_personal_chat(self, service_url: str, tenant: str, bot: dict[str, Any],
                                   user: dict[str, Any]) -> str:
        """The user's personal chat with the bot."""
        parameters = ConversationParameters(
            is_group=False, agent=ChannelAccount.model_validate(bot),
            members=[ChannelAccount.model_validate(user)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}})
        async with self._client(service_url) as client:
            created = await client.conversations.create_conversation(parameters)
        return str(created.id)

    async def is_member(self, service_url: str, team: str, user: str) -> bool:
        """Whether the roster of `team` lists `user`."""
        try:
            async with self._client(service_url) as client:
                await client.conversations.get_conversation_member(team, user)
        except ConnectorError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def close(self) -> None:
        """Close every reused session."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else f"{url}/"
