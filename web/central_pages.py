"""The root of a central ``aufruf web``: which sites it serves, and its health for a monitor.

Each site's own pages live in its sub-application under ``/s/<site>/`` (``app.CentralWebServer``);
this module answers only what belongs to no single site.
"""

from __future__ import annotations

import html

from aiohttp import web

from . import pages, server

SITES = web.AppKey("sites", tuple)


async def index(request: web.Request) -> web.Response:
    """A plain list of the sites, each linking to its board (nothing else is shown here)."""
    sites = request.app[SITES]
    lang = sites[0].cfg.languages[0] if sites else "de"
    items = "\n".join(f'  <li><a href="/s/{html.escape(s.cfg.site_id)}/">{html.escape(s.cfg.name)}</a></li>'
                      for s in sites)
    body = pages.template("sites.html").substitute(lang=html.escape(lang), items=items)
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def health(request: web.Request) -> web.Response:
    """200 while every site's connection to the central broker is up, else 503, per site."""
    sites = {s.cfg.site_id: {"ok": s.state.broker_connected, "pages": s.hub.pages} for s in request.app[SITES]}
    ok = all(v["ok"] for v in sites.values())
    return web.json_response({"ok": ok, "sites": sites}, status=200 if ok else 503)


def register(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/healthz", health)
    server.register_assets(app)
