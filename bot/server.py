"""One aiohttp server for every platform, plus health and metrics. Platforms mount their routes."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import partial
from typing import Any

from aiohttp import web

from bot.advisor import Advisor
from bot.connections import KEEPALIVE_SECONDS, GuardedSite, quiet_loop_errors, track
from bot.errors import StoreUnavailableError
from bot.observability import ERRORS, metrics, observe
from bot.review import ReviewDesk

log = logging.getLogger(__name__)

ADVISOR: web.AppKey[Advisor] = web.AppKey("advisor", Advisor)
REVIEWS: web.AppKey[ReviewDesk] = web.AppKey("reviews", ReviewDesk)
BACKGROUND: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("background", set)
TURN_LIMIT: web.AppKey[int] = web.AppKey("turn_limit", int)
METRICS_URL: web.AppKey[str] = web.AppKey("metrics_url", str)
BIND_HOST: web.AppKey[str] = web.AppKey("bind_host", str)
DAILY: web.AppKey[list[asyncio.Task[None]]] = web.AppKey("daily", list)
DEADLINE: web.AppKey[list[float]] = web.AppKey("shutdown_deadline", list)  # loop time, on stop
SHUTDOWN_GRACE_SECONDS = 25
CLEANUP_SHARE = 0.2  # of the grace kept for requests in flight and closing the store
DAY_SECONDS = 24 * 3600
HEALTH_TIMEOUT_SECONDS = 1.5  # /healthz answers within 2 s whatever the store does
DEFAULT_TURN_LIMIT = 200


def spawn(app: web.Application, work: Coroutine[Any, Any, None], name: str, *,
          notice: bool = False) -> bool:
    """Run work after the response (Slack's ack, Teams' 200) and log its errors ourselves.

    At most TURN_LIMIT tasks run at once: beyond it the work is dropped and False returned, so
    the caller can say "busy, try again" (a `notice`) instead of queueing without limit.
    Shutdown waits for these tasks, so SIGTERM never cuts a turn between its save and its reply.
    """
    limit = app.get(TURN_LIMIT, DEFAULT_TURN_LIMIT)
    if notice:  # a short "busy, try again" gets a little room beyond the turns' limit
        limit += max(10, limit // 10)
    if len(app[BACKGROUND]) >= limit:
        work.close()
        ERRORS.labels(kind="busy").inc()
        return False
    task = asyncio.create_task(_logged(work, name), name=name)
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)
    return True


async def _logged(work: Coroutine[Any, Any, None], name: str) -> None:
    """One log line per failed piece of work; the traceback only at DEBUG."""
    try:
        await work
    except StoreUnavailableError as error:
        ERRORS.labels(kind="store").inc()
        log.warning("%s failed: the store did not answer (%s)", name, error.__cause__ or error,
                    extra={"kind": name})
    except Exception as error:
        ERRORS.labels(kind="background").inc()
        log.error("%s failed: %s: %s", name, type(error).__name__, error,  # noqa: TRY400
                  extra={"kind": name})
        log.debug("%s traceback", name, exc_info=True)


def run_daily(app: web.Application, name: str,
              job: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `job` at start-up and then every day while the server runs (e.g. retention)."""

    async def loop() -> None:
        while True:
            await _logged(job(), name)
            await asyncio.sleep(DAY_SECONDS)

    async def start(app: web.Application) -> None:
        app[DAILY].append(asyncio.create_task(loop(), name=name))

    app.on_startup.append(start)


async def _stop_daily(app: web.Application) -> None:
    for task in app[DAILY]:
        task.cancel()
    await asyncio.gather(*app[DAILY], return_exceptions=True)


async def _finish_background(app: web.Application) -> None:
    """Let turns still running after their ack finish, until the shutdown deadline leaves only
    the time closing needs; then cancel the rest, so the deadline holds whatever they wait on."""
    loop = asyncio.get_running_loop()
    deadline = (app.get(DEADLINE) or [loop.time() + SHUTDOWN_GRACE_SECONDS])[0]
    grace = max(0.0, deadline - loop.time())
    tasks: set[asyncio.Task[None]] = app[BACKGROUND]
    pending = list(tasks)
    if not pending:
        return
    _, stuck = await asyncio.wait(pending, timeout=grace * (1 - CLEANUP_SHARE))
    if stuck:
        log.warning("shutdown: %d turns still running at the deadline were cancelled", len(stuck))
        for task in stuck:
            task.cancel()
        await asyncio.wait(stuck, timeout=1)


async def healthz(request: web.Request) -> web.Response:
    """200 when the store answers, 503 otherwise (also when it cannot tell in time); JSON."""
    advisor = request.app[ADVISOR]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            healthy = await advisor.store.ping()
    except Exception as error:  # noqa: BLE001  (any store failure means unhealthy, never a 500)
        log.warning("health check failed: %s", type(error).__name__)
        healthy = False
    body = {"status": "ok" if healthy else "unavailable", "store": healthy}
    return web.json_response(body, status=200 if healthy else 503)


# Slack and Teams payloads are a few kilobytes; anything far larger is refused with 413.
MAX_REQUEST_BYTES = 256 * 1024


def create_app(advisor: Advisor, client_max_size: int = MAX_REQUEST_BYTES, *,
               metrics_port: int | None = None,
               turn_limit: int = DEFAULT_TURN_LIMIT) -> web.Application:
    """The server with health and metrics; bootstrap mounts Slack and Teams on it.

    With `metrics_port`, /metrics is served on that port only (so it need not face the
    internet); the URL it listens on is `app[METRICS_URL]` once started.
    """
    app = web.Application(client_max_size=client_max_size, middlewares=[track, observe])
    app[ADVISOR] = advisor
    app[BACKGROUND] = set()
    app[TURN_LIMIT] = turn_limit
    app[DAILY] = []
    app.on_shutdown.append(_finish_background)
    app.on_shutdown.append(_stop_daily)
    app.router.add_get("/healthz", healthz)
    if metrics_port is None:
        app.router.add_get("/metrics", metrics)
    else:
        app.cleanup_ctx.append(partial(_metrics_server, port=metrics_port))

    async def close_store(_: web.Application) -> None:
        await advisor.store.close()

    app.on_cleanup.append(close_store)
    return app


async def _metrics_server(app: web.Application, *, port: int) -> AsyncIterator[None]:
    metrics_app = web.Application()
    metrics_app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(metrics_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, app.get(BIND_HOST, "127.0.0.1"), port)
    await site.start()
    app[METRICS_URL] = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield
    await runner.cleanup()


def run(loop: asyncio.AbstractEventLoop, app: web.Application, host: str, port: int, *,
        max_connections: int, read_timeout: float, announce: Callable[[str], None],
        grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Serve until SIGTERM or SIGINT, then finish the requests and turns in flight within
    `grace` seconds, a hard limit: what still runs then is cancelled.

    Like aiohttp's run_app, but every connection goes through the ConnectionGuard (requests
    must arrive within `read_timeout`), and a closed connection cancels its handler.
    `announce` gets the URL listened on, once listening.
    """
    try:
        loop.run_until_complete(_serve(app, host, port, max_connections=max_connections,
                                       read_timeout=read_timeout, announce=announce,
                                       grace=grace))
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _serve(app: web.Application, host: str, port: int, *, max_connections: int,
                 read_timeout: float, announce: Callable[[str], None], grace: float) -> None:
    loop = asyncio.get_running_loop()
    quiet_loop_errors(loop)
    app[BIND_HOST] = host
    app[DEADLINE] = []
    # aiohttp runs on_shutdown (the turns after their ack) first, then waits for requests in
    # flight: they get the share of the grace the turns leave, and the whole is capped below.
    runner = web.AppRunner(app, handle_signals=False, access_log=None,
                           shutdown_timeout=grace * CLEANUP_SHARE,
                           keepalive_timeout=KEEPALIVE_SECONDS, handler_cancellation=True)
    await runner.setup()
    stop = asyncio.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        site = GuardedSite(runner, host, port, limit=max_connections, timeout=read_timeout)
        await site.start()
        announce(f"http://{host}:{site.port}")
        await stop.wait()
    finally:
        app[DEADLINE].append(loop.time() + grace)
        try:
            async with asyncio.timeout_at(app[DEADLINE][0] + 1):
                await runner.cleanup()
        except TimeoutError:
            log.warning("shutdown: not finished within %s s; exiting anyway", grace)
