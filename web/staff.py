"""The staff pages of ``aufruf web``: the counter panel ``/desk`` and the office view ``/office``.

Signing in opens a :class:`~web.staff_link.StaffLink` AS the staff member's
broker user (``panel-<desk>`` or ``supervisor``): the broker checks the
password and its ACL decides every command, the server holds no user that may
command a counter. A session is a random id in an HttpOnly, SameSite=Strict
cookie (Secure when the server or its public address uses TLS); every action
carries the session's CSRF token and comes from our own origin; wrong
passwords slow the next try per user and per address; sign-out and the idle
timeout (``[[webs]] staff_idle_min``) close the session's MQTT link at once.

Everything here runs on the server's event loop; paho's threads only post to it.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web
from aiohttp_sse import EventSourceResponse

from aufruf import protocol
from aufruf.config import SiteConfig, Web
from aufruf.errors import AufrufError, PayloadError
from aufruf.link import now_ms
from aufruf.provision import SUPERVISOR

from . import pages, security
from .office import OfficeView
from .panel import DeskPanel
from .sessions import Session, SessionError, SessionStore
from .signin_limit import SignInLimiter
from .staff_link import BrokerUnavailable, SignInRefused, StaffLink
from .staff_texts import staff_texts

log = logging.getLogger(__name__)

STAFF = web.AppKey("staff", object)
COOKIE = "aufruf-staff"
COOKIE_TLS = "__Host-aufruf-staff"  # the browser only takes it over TLS, for this host, path /
CSRF_HEADER = "X-CSRF-Token"
SWEEP_S = 1.0
TICK_S = 5.0
MAX_PASSWORD = 128
MAX_TRYING = 2  # sign-ins under way at once per user and per address


@dataclass(eq=False)
class Stream:
    """One open event stream of a session (a tab): only the latest view matters."""

    pending: tuple[str, str] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, event: str, data: str) -> None:
        self.pending = (event, data)
        self.wake.set()


@dataclass(eq=False)
class Live:
    """What a signed-in session has on the server: its broker login, its page's model, its open tabs."""

    link: StaffLink
    model: DeskPanel | OfficeView
    lang: str
    streams: set[Stream] = field(default_factory=set)
    dirty: bool = False
    last_view: str | None = None


class SignInFailed(AufrufError, PermissionError):
    """A sign-in that did not work; ``status`` is the HTTP answer, the text is shown as it is."""

    def __init__(self, text: str, status: int):
        super().__init__(text)
        self.status = status


class Staff:
    """Every staff session of this server: sign-in, the sessions' MQTT links and what their pages show."""

    def __init__(self, cfg: SiteConfig, w: Web, *, clock: Callable[[], float] = time.monotonic,
                 clock_ms: Callable[[], int] = now_ms, link_factory: Callable[..., StaffLink] = StaffLink):
        self.cfg = cfg
        self.web = w
        self.clock_ms = clock_ms
        self.link_factory = link_factory
        self.sessions = SessionStore(clock, idle_s=w.staff_idle_min * 60)
        self.limiter = SignInLimiter(clock)
        self.secure = bool(w.tls_cert) or w.public_url.startswith("https://")
        self._trying: Counter[str] = Counter()        # sign-ins under way, per user and address
        self._sweeper: asyncio.Task | None = None

    @property
    def cookie(self) -> str:
        return COOKIE_TLS if self.secure else COOKIE

    # ------------------------------------------------------------ sign-in and out

    async def sign_in(self, kind: str, desk: str | None, password: str, address: str, lang: str) -> Session:
        t = staff_texts(lang)
        if kind == "desk":
            if desk is None or self.cfg.desk(desk) is None:
                raise SignInFailed(t["unknown_desk"], 400)
            user = f"panel-{desk}"
        else:
            user, desk = SUPERVISOR, None
        keys = (f"user:{user}", f"addr:{address}")
        wait = self.limiter.wait_s(user, address)
        if wait > 0:
            raise SignInFailed(t["wait_s"].format(s=max(1, round(wait))), 429)
        if any(self._trying[k] >= MAX_TRYING for k in keys):  # a burst of guesses before the first failure
            raise SignInFailed(t["busy_try"], 429)
        self._trying.update(keys)
        try:
            model: DeskPanel | OfficeView
            if kind == "desk":
                model = DeskPanel(self.cfg, desk, lang)
            else:
                model = OfficeView(self.cfg, self.web.wait_alert_min, lang)
            holder: dict[str, Session] = {}
            link = self.link_factory(self.cfg.broker, self.cfg.site_id, user, password,
                                     subscriptions=model.subscriptions, loop=asyncio.get_running_loop(),
                                     deliver=lambda tp, pl, r: self._deliver(model, holder.get("s"), tp, pl))
            try:
                await link.open()
            except SignInRefused:
                delay = self.limiter.failed(user, address)
                log.warning("sign-in as %s refused: wrong password (%d in a row; next try in %.0f s)", user,
                            self.limiter.failures(user=user), delay)
                raise SignInFailed(f"{t['wrong_password']} {t['wait_s'].format(s=max(1, round(delay)))}",
                                   401) from None
            except BrokerUnavailable as e:
                log.warning("sign-in as %s: %s", user, e)
                raise SignInFailed(t["no_broker"], 503) from None
            self.limiter.succeeded(user)
            try:
                s = self.sessions.create(user, kind, desk)
            except SessionError:
                await link.close()
                raise SignInFailed(t["too_many"], 503) from None
            s.live = Live(link, model, lang)
            holder["s"] = s
            link.on_connection = lambda up: self._changed(s)
            log.info("signed in as %s (%d staff sessions)", user, len(self.sessions))
            return s
        finally:
            self._trying.subtract(keys)
            for k in keys:
                if self._trying[k] <= 0:
                    del self._trying[k]

    async def sign_out(self, s: Session, why: str = "signed out") -> None:
        self.sessions.remove(s.id)
        await self._close(s, why)

    async def _close(self, s: Session, why: str) -> None:
        if s.live is None:
            return
        for st in list(s.live.streams):
            st.put("signed_out", json.dumps({"why": why}))
        await s.live.link.close()
        log.info("%s: %s (%d staff sessions)", s.user, why, len(self.sessions))

    # ------------------------------------------------------------ state and pushes (event loop)

    def _deliver(self, model: DeskPanel | OfficeView, s: Session | None, topic: str, payload: bytes) -> None:
        """A message of a session's link (the retained ones may come before the session exists)."""
        changed = model.apply(topic, payload, self.clock_ms()) if isinstance(model, OfficeView) \
            else model.apply(topic, payload)
        if changed and s is not None and self.sessions.get(s.id, touch=False) is not None:
            self._changed(s)

    def _changed(self, s: Session) -> None:
        """Coalesce a burst of messages (the retained ones at connect) into one push."""
        if not s.live.dirty:
            s.live.dirty = True
            asyncio.get_running_loop().call_soon(self._flush, s)

    def view(self, s: Session) -> dict[str, Any]:
        v = s.live.model.view(self.clock_ms())
        v["broker_online"] = bool(s.live.link.connected)
        v["idle_left_s"] = round(self.sessions.idle_left(s))
        return v

    def _flush(self, s: Session) -> None:
        s.live.dirty = False
        v = self.view(s)
        key = json.dumps({k: x for k, x in v.items() if k not in ("now", "idle_left_s")}, sort_keys=True)
        if key == s.live.last_view:
            return
        s.live.last_view = key
        data = json.dumps(v, separators=(",", ":"), ensure_ascii=False)
        event = "panel" if s.kind == "desk" else "office"
        for st in list(s.live.streams):
            st.put(event, data)

    async def _sweep(self) -> None:
        """Idle sessions end; the office view's time-based alerts (offline > 1 min, long waits) appear."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                for s in self.sessions.expired():
                    await self._close(s, "idle timeout")
                for s in self.sessions:
                    if s.kind == "office":
                        self._flush(s)
            except Exception:  # noqa: BLE001 - the sweeper must keep running
                log.exception("staff session sweep failed")

    async def start(self, app: web.Application) -> None:
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def stop(self, app: web.Application) -> None:
        if self._sweeper:
            self._sweeper.cancel()
        for s in list(self.sessions):
            await self.sign_out(s, "server stopping")

    # ------------------------------------------------------------ commands

    async def command(self, s: Session, body: Any) -> tuple[int, dict[str, Any]]:
        """A button press: the command goes out AS the session's user; the broker and controller decide."""
        if not isinstance(body, dict):
            return 400, {"ok": False, "error": "the request must be a JSON object"}
        action = body.get("action")
        desk = body.get("desk", s.desk)
        if s.kind != "desk":
            return 403, {"ok": False, "error": "sign in at a counter to send commands"}
        if not isinstance(action, str) or action not in protocol.ACTIONS:
            return 400, {"ok": False, "error": f"unknown action; allowed: {', '.join(protocol.ACTIONS)}"}
        if not isinstance(desk, str) or not protocol.ID_RE.match(desk):
            return 400, {"ok": False, "error": "field 'desk' must be a desk id"}
        service, number = body.get("service"), body.get("number")
        try:
            reply = await s.live.link.command(desk, action, service=service if isinstance(service, str) else None,
                                                  number=number if isinstance(number, str) else None)
        except PayloadError as e:
            return 400, {"ok": False, "error": str(e)}
        out: dict[str, Any] = {"ok": reply.ok, "action": action, "desk": desk}
        if reply.ok:
            out["ticket"] = reply.ticket
        else:
            out["error"] = str(reply.error)[:200]
        status = 200 if out["ok"] or not str(out.get("error", "")).startswith("not allowed") else 403
        return status, out


# ---------------------------------------------------------------- HTTP


def _staff(request: web.Request) -> Staff:
    return request.app[STAFF]


def _session(request: web.Request, kind: str, touch: bool = True) -> Session | None:
    st = _staff(request)
    s = st.sessions.get(request.cookies.get(st.cookie), touch=touch)
    return s if s is not None and s.kind == kind else None


def _same_origin(request: web.Request) -> None:
    """A form post must come from a page of this server: the browser says so in ``Origin`` (the
    staff pages send it: Referrer-Policy same-origin) or in ``Sec-Fetch-Site``, which no page can set."""
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        ok = origin.split("://", 1)[-1] == request.host
    else:
        ok = request.headers.get("Sec-Fetch-Site") == "same-origin"
    if not ok:
        raise web.HTTPForbidden(text="forbidden: not from this server's own page\n")


def _render(request: web.Request, name: str, *, title: str, data: dict, status: int = 200,
            raw: dict[str, str] | None = None, **extra: str) -> web.Response:
    """A staff page from its template; ``raw`` holds HTML built (and escaped) here."""
    cfg = request.app[pages.CFG]
    lang = pages.lang_of(request)
    data = {**data, "lang": lang, "tz": cfg.timezone, "texts": staff_texts(lang)}
    body = pages.template(name).substitute(
        lang=html.escape(lang), title=html.escape(title), site=html.escape(cfg.name),
        data=pages.data_block(data), **(raw or {}), **{k: html.escape(v) for k, v in extra.items()})
    # the staff pages carry no secret in their address: their form posts may say where they come from
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8",
                        headers={"Referrer-Policy": "same-origin"})


def _sign_in_page(request: web.Request, kind: str, message: str = "", status: int = 200) -> web.Response:
    cfg = request.app[pages.CFG]
    lang = pages.lang_of(request)
    t = staff_texts(lang)
    chosen = request.query.get("desk", "")
    options = "".join(
        f'<option value="{html.escape(d.id)}"{" selected" if d.id == chosen else ""}>'
        f'{html.escape(d.label(lang))}</option>' for d in cfg.desks)
    desk_field = (f'<label for="desk">{html.escape(t["counter"])}</label>'
                  f'<select id="desk" name="desk" required>{options}</select>') if kind == "desk" else ""
    heading = t["sign_in_desk"] if kind == "desk" else t["sign_in_office"]
    if not message and request.query.get("out") == "1":
        message = t["signed_out"]
    return _render(request, "signin.html", title=f"{heading} – {cfg.name}", data={}, status=status,
                   raw={"desk_field": desk_field}, heading=heading, action=f"/{kind}/signin",
                   password_label=t["password"], submit=t["sign_in"], message=message,
                   message_hidden="" if message else "hidden")


def _set_cookie(resp: web.StreamResponse, st: Staff, s: Session) -> None:
    resp.set_cookie(st.cookie, s.id, path="/", httponly=True, secure=st.secure, samesite="Strict")


def _clear_cookie(resp: web.StreamResponse, st: Staff) -> None:
    resp.del_cookie(st.cookie, path="/", secure=st.secure, samesite="Strict")


async def _sign_in(request: web.Request, kind: str) -> web.StreamResponse:
    _same_origin(request)
    st = _staff(request)
    form = await request.post()
    password = form.get("password")
    desk = form.get("desk") if kind == "desk" else None
    lang = pages.lang_of(request)
    if not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD or \
            (desk is not None and not isinstance(desk, str)):
        return _sign_in_page(request, kind, staff_texts(lang)["wrong_password"], 400)
    old = st.sessions.get(request.cookies.get(st.cookie), touch=False)
    try:
        s = await st.sign_in(kind, desk, password, request.remote or "?", lang)
    except SignInFailed as e:
        return _sign_in_page(request, kind, str(e), e.status)
    if old is not None:  # one session per browser: the new sign-in replaces the old
        await st.sign_out(old, "signed in again")
    resp = web.HTTPSeeOther(f"/{kind}" + (f"?lang={lang}" if "lang" in request.query else ""))
    _set_cookie(resp, st, s)
    raise resp


async def desk_sign_in(request: web.Request) -> web.StreamResponse:
    return await _sign_in(request, "desk")


async def office_sign_in(request: web.Request) -> web.StreamResponse:
    return await _sign_in(request, "office")


async def sign_out(request: web.Request) -> web.StreamResponse:
    _same_origin(request)
    st = _staff(request)
    form = await request.post()
    s = st.sessions.get(request.cookies.get(st.cookie), touch=False)
    kind = s.kind if s is not None else "desk"
    if s is not None:
        try:
            st.sessions.check_csrf(s, form.get("csrf") if isinstance(form.get("csrf"), str) else None)
        except SessionError as e:
            raise web.HTTPForbidden(text=f"{e}\n") from None
        await st.sign_out(s)
    resp = web.HTTPSeeOther(f"/{kind}")
    _clear_cookie(resp, st)
    raise resp


async def desk_page(request: web.Request) -> web.Response:
    s = _session(request, "desk")
    if s is None:
        return _sign_in_page(request, "desk")
    st = _staff(request)
    t = staff_texts(pages.lang_of(request))
    view = st.view(s)
    return _render(request, "desk.html", title=f"{view['label']} – {request.app[pages.CFG].name}",
                   data={"view": view, "csrf": s.csrf}, csrf=s.csrf, label=view["label"], sign_out=t["sign_out"])


async def office_page(request: web.Request) -> web.Response:
    s = _session(request, "office")
    if s is None:
        return _sign_in_page(request, "office")
    st = _staff(request)
    t = staff_texts(pages.lang_of(request))
    return _render(request, "office.html", title=f"{t['office_title']} – {request.app[pages.CFG].name}",
                   data={"view": st.view(s), "csrf": s.csrf}, csrf=s.csrf, heading=t["office_title"],
                   sign_out=t["sign_out"])


async def _events(request: web.Request, kind: str) -> web.StreamResponse:
    s = _session(request, kind, touch=False)  # an open stream is not use: the idle timeout still runs
    if s is None:
        return web.json_response({"ok": False, "error": "signed out"}, status=401)
    st = _staff(request)
    stream = Stream()
    s.live.streams.add(stream)
    stream.put(kind if kind == "office" else "panel",
               json.dumps(st.view(s), separators=(",", ":"), ensure_ascii=False))
    resp = EventSourceResponse(headers=security.stream_headers(), send_timeout=pages.SEND_TIMEOUT_S,
                               ping_interval=15)
    try:
        await resp.prepare(request)
        await resp.send("{}", event="hello", retry=pages.RETRY_MS)
        while True:
            try:
                await asyncio.wait_for(stream.wake.wait(), TICK_S)
            except TimeoutError:  # "no news" is not "no server": the page shows offline after 12 s of silence
                await resp.send("{}", event="tick")
                continue
            stream.wake.clear()
            if stream.pending is None:
                continue
            event, data = stream.pending
            stream.pending = None
            await resp.send(data, event=event)
            if event == "signed_out":
                break
    except (ConnectionResetError, TimeoutError, asyncio.CancelledError, RuntimeError):
        pass
    finally:
        s.live.streams.discard(stream)
        if resp.prepared:
            resp.stop_streaming()  # ends aiohttp-sse's keep-alive task with the stream
    return resp


async def desk_events(request: web.Request) -> web.StreamResponse:
    return await _events(request, "desk")


async def office_events(request: web.Request) -> web.StreamResponse:
    return await _events(request, "office")


async def desk_command(request: web.Request) -> web.Response:
    security.check_change(request)
    st = _staff(request)
    s = _session(request, "desk")
    if s is None:
        return web.json_response({"ok": False, "error": "signed out"}, status=401)
    try:
        st.sessions.check_csrf(s, request.headers.get(CSRF_HEADER))
    except SessionError as e:
        return web.json_response({"ok": False, "error": str(e)}, status=403)
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return web.json_response({"ok": False, "error": "the request must be JSON"}, status=400)
    status, out = await st.command(s, body)
    if out.get("ok"):
        log.info("%s: %s at desk %s%s", s.user, out["action"], out["desk"],
                 f" {out['ticket']}" if out.get("ticket") else "")
    else:
        log.info("%s: %s at desk %s refused: %s", s.user, out.get("action"), out.get("desk"), out.get("error"))
    return web.json_response(out, status=status)


def register(app: web.Application) -> None:
    cfg = app[pages.CFG]
    w = cfg.web(app[pages.BRIDGE].web_id)
    st = Staff(cfg, w)
    app[STAFF] = st
    app.on_startup.append(st.start)
    app.on_shutdown.append(st.stop)  # before the server waits for open streams: they end at once
    app.router.add_get("/desk", desk_page)
    app.router.add_post("/desk/signin", desk_sign_in)
    app.router.add_post("/desk/command", desk_command)
    app.router.add_get("/desk/events", desk_events)
    app.router.add_get("/office", office_page)
    app.router.add_post("/office/signin", office_sign_in)
    app.router.add_get("/office/events", office_events)
    app.router.add_post("/staff/signout", sign_out)
