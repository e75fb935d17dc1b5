"""One aiohttp server for every platform, plus health and metrics. Platforms mount their routes."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.advisor import Advisor
from bot.observability import metrics, observe

log = logging.getLogger(__name__)

ADVISOR: web.AppKey[Advisor] = web.AppKey("advisor", Advisor)


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


def create_app(advisor: Advisor, client_max_size: int = 1024 * 1024) -> web.Application:
    """The server with health; bootstrap mounts Slack and Teams on it."""
    app = web.Application(client_max_size=client_max_size, middlewares=[observe])
    app[ADVISOR] = advisor
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)

    async def close_store(_: web.Application) -> None:
        await advisor.store.close()

    app.on_cleanup.append(close_store)
    return app
