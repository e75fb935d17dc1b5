"""Connections the server accepts: bounded in number, and closed when idle or too slow.

aiohttp closes idle keep-alive connections, but not one that never sends a request, or one that
sends its headers a byte at a time: a few hundred of those hold every file descriptor. Each
accepted connection is wrapped in a small protocol that counts it, refuses it beyond the limit,
and closes it when a request has not fully arrived within the read timeout, or when a new
connection sends nothing for as long. A connection that has served a request may then idle for
KEEPALIVE_SECONDS, longer than load balancers keep theirs (60 s is common): closing first would
race with their next request. The `track` middleware tells the wrapper when a request is being
handled, so a slow handler is never cut.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, cast

from aiohttp import web

from bot.observability import ERRORS

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 75.0  # aiohttp's own default; above the usual load balancer's 60 s
_OPEN: dict[asyncio.BaseTransport, _Guarded] = {}  # the wrapper of each connection open


class ConnectionGuard:
    """A protocol factory around aiohttp's: at most `limit` connections, each on a deadline."""

    def __init__(self, factory: Callable[[], asyncio.Protocol], *, limit: int,
                 timeout: float) -> None:
        self.factory, self.limit, self.timeout = factory, limit, timeout
        self.keepalive = max(KEEPALIVE_SECONDS, timeout)
        self.open = 0

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self)


class _Guarded(asyncio.Protocol):
    """Forwards everything to aiohttp's protocol; closes the connection when it stalls."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self.guard = guard
        self.inner: asyncio.Protocol | None = None
        self.transport: asyncio.Transport | None = None
        self.busy = 0  # requests being handled on this connection
        self.waiting_since: float | None = None  # first byte of a request not yet handled
        self.idle_since = time.monotonic()
        self.served = False  # a request was answered: the connection is now a keep-alive one
        self.timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.guard.open += 1
        self.transport = transport = cast("asyncio.Transport", transport)  # a TCP server's
        if self.guard.open > self.guard.limit:
            ERRORS.labels(kind="connection_refused").inc()
            _refusals.note()
            transport.abort()
            return
        _OPEN[transport] = self
        self.inner = self.guard.factory()
        self.inner.connection_made(transport)
        self._schedule()

    def data_received(self, data: bytes) -> None:
        if self.busy == 0 and self.waiting_since is None:
            self.waiting_since = time.monotonic()
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.open -= 1
        if self.timer is not None:
            self.timer.cancel()
        if self.transport is not None:
            _OPEN.pop(self.transport, None)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def _schedule(self) -> None:
        self.timer = asyncio.get_running_loop().call_later(self.guard.timeout / 4, self._check)

    def _check(self) -> None:
        if self.waiting_since is not None:
            started, limit = self.waiting_since, self.guard.timeout
        else:
            started = self.idle_since
            limit = self.guard.keepalive if self.served else self.guard.timeout
        if self.busy == 0 and time.monotonic() - started > limit:
            ERRORS.labels(kind="connection_timeout").inc()
            if self.transport is not None:
                self.transport.abort()  # connection_lost follows and cancels nothing more
            return
        self._schedule()

    def started(self) -> None:
        self.busy += 1
        self.waiting_since = None

    def finished(self) -> None:
        self.busy -= 1
        self.served = True
        self.idle_since = time.monotonic()


@web.middleware
async def track(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
                ) -> web.StreamResponse:
    """Mark the connection busy while its request is handled; read the body on a deadline."""
    connection = _OPEN.get(request.transport) if request.transport is not None else None
    if connection is None:
        return await handler(request)
    connection.started()
    try:
        if request.can_read_body:
            try:
                async with asyncio.timeout(connection.guard.timeout):
                    await request.read()  # cached: the handler reads it again for free
            except TimeoutError:
                ERRORS.labels(kind="connection_timeout").inc()
                return web.Response(status=408, text="request body too slow")
        return await handler(request)
    finally:
        connection.finished()


class GuardedSite(web.BaseSite):
    """A TCP site whose connections go through a ConnectionGuard."""

    __slots__ = ("_guard_args", "_host", "_port")
    reuse_port: ClassVar[bool] = False  # `serve --workers N` (bot/workers.py): N on one port

    def __init__(self, runner: web.BaseRunner, host: str, port: int, *, limit: int,
                 timeout: float) -> None:
        super().__init__(runner)
        self._host, self._port = host, port
        self._guard_args: dict[str, Any] = {"limit": limit, "timeout": timeout}

    @property
    def name(self) -> str:
        """The URL it listens on."""
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        """Listen; the port actually bound is in `port` afterwards (port 0 picks one)."""
        await super().start()
        server = self._runner.server
        assert server is not None  # noqa: S101  (setup() ran: BaseSite checked it)
        guard = ConnectionGuard(server, **self._guard_args)
        self._server = await asyncio.get_running_loop().create_server(
            guard, self._host, self._port, backlog=self._backlog, reuse_address=True,
            reuse_port=self.reuse_port or None)
        sockets = self._server.sockets
        if sockets:
            self._port = int(sockets[0].getsockname()[1])

    @property
    def port(self) -> int:
        """The bound port."""
        return self._port


class _RateLimitedNotes:
    """At most one log line per `every` seconds for a repeated problem, with how many there were."""

    def __init__(self, message: str, every: float = 10) -> None:
        self.message, self.every = message, every
        self.count, self.last = 0, -every

    def note(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.every:
            log.warning(self.message, self.count)
            self.last, self.count = now, 0


_refusals = _RateLimitedNotes("%d connections refused: MAX_CONNECTIONS reached")
_loop_errors = _RateLimitedNotes("%d accept or socket errors (e.g. out of file descriptors)")


def quiet_loop_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Socket errors reported by the event loop (EMFILE on accept comes every second while it
    lasts) become at most one warning line every ten seconds instead of a traceback each."""
    previous = loop.get_exception_handler()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) or isinstance(context.get("socket"), socket.socket):
            _loop_errors.note()
        elif previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handle)
