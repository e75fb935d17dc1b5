"""The Bot Connector on botbuilder 4.17.1 (the Bot Framework SDK; archived, unsupported since 2026).

Kept for deployments still on the Bot Framework stack. botbuilder's connector and its MSAL token
fetch are blocking `requests` calls; its async client runs them in the loop's default executor
with 100 s timeouts, where six stuck calls starve every other user of that executor (aiohttp's
DNS lookups among them). So this module uses botbuilder's synchronous client on a small pool of
its own, with a 10 s timeout per HTTP call: stuck Teams calls can only ever hold Teams' threads.
One client per service URL is kept, so msrest's per-client set-up is paid once.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botframework.connector import ConnectorClient
from botframework.connector.auth import (
    AppCredentials,
    ManagedIdentityAppCredentials,
    MicrosoftAppCredentials,
)
from botframework.connector.models import Activity, ChannelAccount, ConversationParameters
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.platforms.teams.connector import CALL_TIMEOUT_SECONDS, ConnectorError, Credentials

POOL_THREADS = 8
MAX_REUSED_CLIENTS = 64
T = TypeVar("T")


def app_credentials(credentials: Credentials) -> AppCredentials:
    """botbuilder's credentials for the MICROSOFT_APP_* settings (none: anonymous)."""
    if credentials.app_type == "UserAssignedMSI" and credentials.app_id:
        return ManagedIdentityAppCredentials(credentials.app_id)
    tenant = credentials.tenant_id if credentials.app_type == "SingleTenant" else None
    return MicrosoftAppCredentials(credentials.app_id, credentials.password or "",
                                   channel_auth_tenant=tenant)


class SdkConnector:
    """Bot Connector calls through botbuilder's ConnectorClient, on the Teams pool."""

    sdk = "botbuilder"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = app_credentials(credentials)
        self._clients: dict[str, ConnectorClient] = {}
        self._pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="teams-connector")

    def _client(self, service_url: str) -> ConnectorClient:
        client = self._clients.get(service_url)
        if client is None:
            client = ConnectorClient(self._credentials, base_url=service_url)
            client.config.connection.timeout = CALL_TIMEOUT_SECONDS
            client.config.retry_policy.retries = 0  # a retry would double the wait
            # Teams uses a handful of regional service URLs; past the bound (made-up ones in
            # anonymous mode, say) a client is built per call, as botbuilder does.
            if len(self._clients) < MAX_REUSED_CLIENTS:
                self._clients[service_url] = client
        return client

    async def _run(self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._pool, call),
                                          CALL_TIMEOUT_SECONDS * 2)  # token fetch, then call
        except HttpOperationError as error:
            status = getattr(getattr(error, "response", None), "status_code", None)
            raise ConnectorError(status) from error
        except (ClientRequestError, TimeoutError) as error:
            raise ConnectorError(None, "Bot Connector unreachable") from error

    async def send(self, service_url: str, conversation: str, activity: dict[str, Any],
                   reply_to: str | None = None) -> str:
        """Send, or reply with, an activity; its id."""
        body = Activity().deserialize(activity)
        operations = self._client(service_url).conversations
        call = (functools.partial(operations.reply_to_activity, conversation, reply_to, body)
                if reply_to else
                functools.partial(operations.send_to_conversation, conversation, body))
        sent = await self._run(call)
        return str(getattr(sent, "id", "") or "")

    async def update(self, service_url: str, conversation: str, activity_id: str,
                     activity: dict[str, Any]) -> None:
        """Replace a sent activity."""
        body = Activity().deserialize({**activity, "id": activity_id})
        operations = self._client(service_url).conversations
        await self._run(functools.partial(operations.update_activity, conversation,
                                          activity_id, body))

    async def create_personal_chat(self, service_url: str, tenant: str, bot: dict[str, Any],
                                   user: dict[str, Any]) -> str:
        """The user's personal chat with the bot."""
        parameters = ConversationParameters(
            is_group=False, bot=ChannelAccount().deserialize(bot),
            members=[ChannelAccount().deserialize(user)], tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}})
        operations = self._client(service_url).conversations
        created = await self._run(functools.partial(operations.create_conversation, parameters))
        return str(created.id)

    async def is_member(self, service_url: str, team: str, user: str) -> bool:
        """Whether the roster of `team` lists `user`."""
        operations = self._client(service_url).conversations
        try:
            await self._run(functools.partial(operations.get_conversation_member, team, user))
        except ConnectorError as error:
            if error.status == 404:
                return False
            raise
        return True

    async def close(self) -> None:
        """Close the clients and let the pool's threads end."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
