"""The HTML shells of the pages (templates in ``web/templates``) and their event streams.

A page is static HTML plus its view as a JSON data block (not executed) that
``static/*.js`` renders and then keeps current from the page's event stream.
Every value is escaped; no inline script, no inline style.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from functools import lru_cache
from pathlib import Path
from string import Template

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from aufruf import texts as catalogue

from . import security
from .hub import Hub, Page

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
SEND_TIMEOUT_S = 10.0
RETRY_MS = 2000
_cache: dict[str, Template] = {}

CFG = web.AppKey("cfg", object)
HUB = web.AppKey("hub", object)
BRIDGE = web.AppKey("bridge", object)
SECRET = web.AppKey("secret", object)


def template(name: str) -> Template:
    if name not in _cache:
        _cache[name] = Template((TEMPLATES / name).read_text(encoding="utf-8"))
    return _cache[name]


def lang_of(request: web.Request) -> str:
    """``?lang=en`` when the site has that language, else the site's first language."""
    cfg = request.app[CFG]
    wanted = request.query.get("lang", "")
    return wanted if wanted in cfg.languages else cfg.languages[0]


def texts(request: web.Request, lang: str | None = None) -> dict[str, str]:
    """The ``[web]`` phrases of the site's text catalogues in ``lang`` (default: the request's).

    The keys are those of the reference catalogue; a phrase the language lacks comes in
    the site's first language (``aufruf check-config`` names it). Placeholders such as
    ``{n}`` stay in: the page's script fills them in.
    """
    cat = catalogue.for_site(request.app[CFG])
    lang = lang or lang_of(request)
    return {key: str(cat.raw(lang, f"web.{key}")) for key in web_keys()}


@lru_cache(maxsize=1)
def web_keys() -> tuple[str, ...]:
    """The phrases of the pages: the ``[web]`` keys of the reference catalogue."""
    ref = catalogue.Catalogue((catalogue.REFERENCE,)).language(catalogue.REFERENCE)
    return tuple(k.split(".", 1)[1] for k in ref.phrases if k.startswith("web."))


def direction(request: web.Request, lang: str) -> str:
    return "rtl" if catalogue.for_site(request.app[CFG]).rtl(lang) else "ltr"


def language_links(request: web.Request, lang: str) -> str:
    """The language switch: each site language in its own name, in site.languages order."""
    cfg = request.app[CFG]
    cat = catalogue.for_site(cfg)
    links = []
    for code in cfg.languages:
        x = html.escape(code)
        current = ' aria-current="true"' if code == lang else ""
        links.append(f'<a href="?lang={x}" hreflang="{x}" lang="{x}" dir="{direction(request, code)}" '
                     f'data-lang="{x}"{current}>{html.escape(cat.language(code).name)}</a>')
    return " ".join(links)


def render(request: web.Request, name: str, *, title: str, data: dict, status: int = 200, **extra: str) -> web.Response:
    """A page from its template: ``$lang``, ``$dir``, ``$title``, ``$site``, ``$data`` (JSON),
    ``$langs`` (the switch), ``$t_<key>`` (each ``[web]`` phrase) and ``extra``."""
    cfg = request.app[CFG]
    lang = lang_of(request)
    t = texts(request, lang)
    dir_ = direction(request, lang)
    data = {**data, "lang": lang, "dir": dir_, "langs": list(cfg.languages), "tz": cfg.timezone, "texts": t}
    body = template(name).substitute(
        lang=html.escape(lang), dir=dir_, title=html.escape(title), site=html.escape(cfg.name),
        data=data_block(data), langs=language_links(request, lang),
        **{f"t_{k}": html.escape(v) for k, v in t.items()},
        **{k: html.escape(v) for k, v in extra.items()})
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def data_block(data: dict) -> str:
    """JSON for a ``<script type="application/json">`` block: nothing in it can end the element."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def busy(request: web.Request) -> web.Response:
    """The clean answer when the server has as many pages as it may have."""
    t = texts(request)
    return web.Response(status=503, text=t["busy"] + "\n", headers={"Retry-After": "10"})


async def stream(request: web.Request, page: Page) -> web.StreamResponse:
    """The page's event stream, open until the browser goes away or the page is closed.

    aiohttp-sse prepares it (headers, chunked encoding, and TCP_USER_TIMEOUT so the
    kernel aborts a connection whose peer vanished); from then on the hub writes each
    event to the connection itself (:meth:`web.hub.Page.put`).
    """
    hub: Hub = request.app[HUB]
    resp = EventSourceResponse(headers=security.stream_headers(), send_timeout=SEND_TIMEOUT_S,
                               ping_interval=3600)
    try:
        await resp.prepare(request)
        await resp.send("{}", event="hello", retry=RETRY_MS)
        if request.transport is None or not resp.chunked:
            return resp
        page.attach(request.transport)
        await page.closed.wait()
    except (ConnectionResetError, TimeoutError, asyncio.CancelledError, RuntimeError):
        pass
    finally:
        page.close()
        hub.leave(page)
        if resp.prepared:
            resp.stop_streaming()  # ends aiohttp-sse's keep-alive task with the stream
    return resp
