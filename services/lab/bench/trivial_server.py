"""The reference for intake's throughput: an aiohttp handler that parses the JSON body and
answers 201, with no validation, database or broker.

Run: python -m services.lab.bench.trivial_server PORT
"""

from __future__ import annotations

import sys
import uuid

from aiohttp import web


async def accept(request: web.Request) -> web.Response:
    body = await request.json()
    return web.json_response({"sighting_id": str(uuid.uuid4()), **body}, status=201)


async def ready(_: web.Request) -> web.Response:
    return web.json_response({"ready": True})


def main() -> None:
    app = web.Application()
    app.router.add_post("/v1/sightings", accept)
    app.router.add_get("/readyz", ready)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
