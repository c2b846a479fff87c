"""A ticket's own page behind its QR code: ``/t/<number>-<key>``, its event stream and "leave".

The key (``aufruf/ticketkey.py``) is checked before anything is looked up in a way
that shows: a wrong key and a number that does not exist get the very same answer
(status, body, headers), so counting numbers finds nothing.
"""

from __future__ import annotations

import logging
import re

from aiohttp import web

from aufruf import protocol, ticketkey

from . import pages, security
from .bridge import NoAnswer

log = logging.getLogger(__name__)
REF_RE = re.compile(r"^([A-Z]\d{3})-([a-z2-7]{10})$")


def _ticket(request: web.Request) -> tuple[str, str] | None:
    """(number, key) of a real ticket whose key is right, else None (and nothing tells which)."""
    m = REF_RE.match(request.match_info.get("ref", ""))
    hub = request.app[pages.HUB]
    cfg = request.app[pages.CFG]
    secret = request.app[pages.SECRET]
    if m is None:
        return None
    number, key = m.groups()
    ts = hub.state.ticket(number)
    day = ts.day if ts is not None else hub.today()
    ok = ticketkey.key_ok(secret, cfg.site_id, day, number, key)  # computed either way: same timing
    return (number, key) if ok and ts is not None else None


def not_found(request: web.Request) -> web.Response:
    t = pages.texts(request)
    return pages.render(request, "missing.html", title=t["not_found"], data={}, status=404, message=t["not_found"])


async def page(request: web.Request) -> web.Response:
    hub = request.app[pages.HUB]
    found = _ticket(request)
    if found is None:
        return not_found(request)
    if hub.pages >= hub.max_pages:
        return pages.busy(request)
    lang = pages.lang_of(request)
    t = pages.texts(request, lang)
    view = hub.state.ticket_view(found[0], lang, hub.today())
    return pages.render(request, "ticket.html", title=f"{found[0]} – {t['ticket_title']}",
                        data={"view": view, "ref": request.match_info["ref"]}, number=found[0])


async def events(request: web.Request) -> web.StreamResponse:
    hub = request.app[pages.HUB]
    found = _ticket(request)
    if found is None:
        return not_found(request)
    p = hub.join(pages.lang_of(request), found[0])
    if p is None:
        return pages.busy(request)
    return await pages.stream(request, p)


async def leave(request: web.Request) -> web.Response:
    """Give the ticket back: the controller voids it (action ``leave``) and says so."""
    security.check_change(request)
    await request.read()  # the body is not used; one over MAX_BODY is answered 413
    found = _ticket(request)
    if found is None:
        return not_found(request)
    number, key = found
    bridge = request.app[pages.BRIDGE]
    t = pages.texts(request)
    # one id per ticket: a double click or a retry is the same request (the controller answers it again)
    cmd = protocol.WebCommand(f"{bridge.web_id}-leave-{number}-{key[:6]}", "leave", number, key)
    try:
        reply = await bridge.command(cmd)
    except NoAnswer as e:
        log.warning("leave of a ticket: %s", e)
        return web.json_response({"ok": False, "error": t["no_answer"]}, status=503)
    if reply.ok:
        log.info("a ticket was given back through its page")
        return web.json_response({"ok": True, "message": t["left"]})
    return web.json_response({"ok": False, "error": (reply.error or "")[:200]}, status=409)


def register(app: web.Application) -> None:
    app.router.add_get("/t/{ref}", page)
    app.router.add_get("/t/{ref}/events", events)
    app.router.add_post("/t/{ref}/leave", leave)
