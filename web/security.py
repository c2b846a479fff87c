"""Safe defaults for every response: a strict Content-Security-Policy, no caching of
ticket pages, no referrer (a ticket's address carries its key), and bounded sizes.

No CORS headers are ever sent, so other sites cannot read these pages, and a
request that changes something must carry ``X-Requested-With: aufruf``, which a
cross-site form cannot send.
"""

from __future__ import annotations

from aiohttp import web

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
       "connect-src 'self'; media-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
# request limits: the pages take no uploads; a request line or header longer than
# this is answered 400 by aiohttp's parser
MAX_BODY = 1024
MAX_LINE = 4096
MAX_FIELD = 4096
MAX_HEADERS = 64
CHANGE_HEADER = ("X-Requested-With", "aufruf")


@web.middleware
async def headers(request: web.Request, handler):
    try:
        resp = await handler(request)
    except web.HTTPException as e:
        resp = e
        _apply(resp)
        raise
    _apply(resp)
    return resp


def _apply(resp: web.StreamResponse) -> None:
    if resp.prepared:  # an event stream sent its headers already (set in stream_headers)
        return
    for k, v in HEADERS.items():
        resp.headers.setdefault(k, v)
    resp.headers["Server"] = "aufruf"  # not which library in which version
    resp.headers.setdefault("Cache-Control", "no-store")


def stream_headers() -> dict[str, str]:
    """The same headers for an event stream, which is prepared before the middleware sees it."""
    return {**HEADERS, "Server": "aufruf"}


def check_change(request: web.Request) -> None:
    """A state-changing request must come from our own page (custom header, same origin)."""
    if request.headers.get(CHANGE_HEADER[0]) != CHANGE_HEADER[1]:
        raise web.HTTPForbidden(text="forbidden\n")
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        raise web.HTTPForbidden(text="forbidden\n")
