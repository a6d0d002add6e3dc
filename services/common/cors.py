"""Cross-origin access for browser clients served from another site (KINLINK_CORS_ORIGINS).

The notifier's own dashboard is served from the notifier itself and needs none of this: the
default is no cross-origin access at all. A deployment whose web client lives elsewhere lists
its origins; `*` allows every site and is refused in production (services.common.production).
Tokens travel in the Authorization header, never in cookies, so no credentials mode is offered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

CORS_ORIGINS: web.AppKey[tuple[str, ...]] = web.AppKey("cors_origins", tuple)
_ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, Last-Event-ID, X-Request-Id"
_ALLOW_METHODS = "GET, POST, PATCH, DELETE"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_origins(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env.get("KINLINK_CORS_ORIGINS", "")
    return tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())


def _allowed(request: web.Request) -> str | None:
    origin = request.headers.get("Origin")
    origins = request.app.get(CORS_ORIGINS, ())
    if origin is None or not origins:
        return None
    return origin if ("*" in origins or origin in origins) else None


@web.middleware
async def preflight(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a browser's OPTIONS preflight from an allowed origin; everything else passes."""
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        origin = _allowed(request)
        if origin is None:
            raise web.HTTPForbidden(reason="Origin not allowed")
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": _ALLOW_METHODS,
                "Access-Control-Allow-Headers": _ALLOW_HEADERS,
                "Access-Control-Max-Age": "600",
                "Vary": "Origin",
            },
        )
    return await handler(request)


async def cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Let an allowed origin's scripts read the answer (on_response_prepare)."""
    origin = _allowed(request)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Location, Retry-After, X-Request-Id"
        response.headers["Vary"] = "Origin"
