"""One aiohttp server for every platform, plus health and metrics. Platforms mount their routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

from bot.advisor import Advisor
from bot.observability import ERRORS, metrics, observe

log = logging.getLogger(__name__)

ADVISOR: web.AppKey[Advisor] = web.AppKey("advisor", Advisor)
BACKGROUND: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("background", set)
DAILY: web.AppKey[list[asyncio.Task[None]]] = web.AppKey("daily", list)
SHUTDOWN_GRACE_SECONDS = 25
DAY_SECONDS = 24 * 3600


def spawn(app: web.Application, work: Coroutine[Any, Any, None], name: str) -> None:
    """Run work after the response (Slack's ack, Teams' 200) and log its errors ourselves.

    Shutdown waits for these tasks, so SIGTERM never cuts a turn between its save and its reply.
    """
    task = asyncio.create_task(_logged(work, name), name=name)
    app[BACKGROUND].add(task)
    task.add_done_callback(app[BACKGROUND].discard)


async def _logged(work: Coroutine[Any, Any, None], name: str) -> None:
    try:
        await work
    except Exception:
        ERRORS.labels(kind="background").inc()
        log.exception("background work failed", extra={"kind": name})


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
    tasks: set[asyncio.Task[None]] = app[BACKGROUND]
    pending = list(tasks)
    if pending:
        await asyncio.wait(pending, timeout=SHUTDOWN_GRACE_SECONDS)


async def healthz(request: web.Request) -> web.Response:
    """200 when the store answers, 503 otherwise; always a JSON body."""
    advisor = request.app[ADVISOR]
    try:
        healthy = await advisor.store.ping()
    except Exception:  # any failure of the store means unhealthy, never a 500
        log.exception("health check failed")
        healthy = False
    body = {"status": "ok" if healthy else "unavailable", "store": healthy}
    return web.json_response(body, status=200 if healthy else 503)


# Slack and Teams payloads are a few kilobytes; anything far larger is refused with 413.
MAX_REQUEST_BYTES = 256 * 1024


def create_app(advisor: Advisor, client_max_size: int = MAX_REQUEST_BYTES) -> web.Application:
    """The server with health and metrics; bootstrap mounts Slack and Teams on it."""
    app = web.Application(client_max_size=client_max_size, middlewares=[observe])
    app[ADVISOR] = advisor
    app[BACKGROUND] = set()
    app[DAILY] = []
    app.on_shutdown.append(_finish_background)
    app.on_shutdown.append(_stop_daily)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)

    async def close_store(_: web.Application) -> None:
        await advisor.store.close()

    app.on_cleanup.append(close_store)
    return app
