"""The public board page ``/`` and its event stream ``/events`` (what the wall board shows)."""

from __future__ import annotations

from aiohttp import web

from . import pages


async def board(request: web.Request) -> web.Response:
    hub = request.app[pages.HUB]
    if hub.pages >= hub.max_pages:
        return pages.busy(request)
    lang = pages.lang_of(request)
    t = pages.texts(request, lang)
    return pages.render(request, "board.html", title=f"{t['board_title']} – {request.app[pages.CFG].name}",
                        data={"view": hub.state.board_view(lang)})


async def events(request: web.Request) -> web.StreamResponse:
    hub = request.app[pages.HUB]
    page = hub.join(pages.lang_of(request))
    if page is None:
        return pages.busy(request)
    return await pages.stream(request, page)


async def health(request: web.Request) -> web.Response:
    """For a reverse proxy or a monitor: 200 while the broker is connected, else 503."""
    hub = request.app[pages.HUB]
    ok = hub.state.broker_connected
    return web.json_response({"ok": ok, "pages": hub.pages}, status=200 if ok else 503)


async def no_icon(request: web.Request) -> web.Response:
    return web.Response(status=204)


def register(app: web.Application) -> None:
    app.router.add_get("/", board)
    app.router.add_get("/events", events)
    app.router.add_get("/healthz", health)
    register_assets(app)


def register_assets(app: web.Application) -> None:
    """The shipped scripts, styles and sound (no CDN), and no icon."""
    app.router.add_get("/favicon.ico", no_icon)
    app.router.add_static("/static/", pages.STATIC, follow_symlinks=False, show_index=False)
