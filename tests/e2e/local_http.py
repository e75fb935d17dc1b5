"""Serve an aiohttp app on a free loopback port (the one way every test server and fake starts),
and wait for the work the server does after answering."""

from __future__ import annotations

import asyncio

from aiohttp import web

from bot.server import BACKGROUND


async def serve_locally(app: web.Application) -> tuple[web.AppRunner, str]:
    """Start `app` on 127.0.0.1 at a port the OS picks; the runner (to clean up) and base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def settle(app: web.Application) -> None:
    """Wait until the work spawned after the answers (and any work it spawned) is done."""
    while app[BACKGROUND]:
        await asyncio.gather(*list(app[BACKGROUND]))
