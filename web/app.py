"""``aufruf web``: start-up of the web server (the only place that wires it together).

One asyncio event loop owns everything: the site state, the hub of connected
pages, the aiohttp server. The MQTT link (paho's thread) only posts to it.
Route modules each ``register(app)`` their pages, so more can be added beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

from aiohttp import web

from aufruf import ticketkey
from aufruf.config import CentralConfig, SiteConfig, load_central, load_or_exit
from aufruf.errors import AufrufError, ConfigError
from aufruf.link import now_ms, read_password
from aufruf.watchdog import Notifier

from . import central_pages, pages, security, server, staff, tickets
from .bridge import Bridge
from .hub import Hub
from .state import SiteState

log = logging.getLogger(__name__)
ROUTES = (server, tickets, staff)  # modules with register(app)
CENTRAL_ROUTES = (server, tickets)  # a central server has no staff pages: those stay at each site
STUCK_AFTER_S = 10.0


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="the site config (TOML)")
    p.add_argument("--id", help="the web server's id in [[webs]] (MQTT user web-<id>)")
    p.add_argument("--central", metavar="FILE",
                   help="instead of --config/--id: serve several sites under /s/<site>/ over the central "
                        "broker, as the central file says (docs/web.md, 'Many sites')")
    p.add_argument("--listen", help="HOST:PORT to listen on instead of the site file's listen")


def build_app(cfg: SiteConfig, hub: Hub, bridge: Bridge, secret: bytes,
              routes: Iterable = ROUTES, middlewares: tuple = (security.headers,)) -> web.Application:
    """The aiohttp application with the safe defaults and every route module registered."""
    app = web.Application(middlewares=list(middlewares), client_max_size=security.MAX_BODY)
    app[pages.CFG] = cfg
    app[pages.HUB] = hub
    app[pages.BRIDGE] = bridge
    app[pages.SECRET] = secret
    for module in routes:
        module.register(app)
    return app


class SiteParts:
    """One site as a web server sees it: its state, the hub of its pages, its MQTT side."""

    def __init__(self, cfg: SiteConfig, web_id: str, max_pages: int, *, password: str | None,
                 secret: bytes | None, clock: Callable[[], int], central: bool = False):
        self.cfg = cfg
        self.secret = secret if secret is not None else ticketkey.read_secret(cfg.broker.credentials_dir)
        self.state = SiteState(cfg)
        self.hub = Hub(self.state, clock, max_pages)
        self.bridge = Bridge(cfg, web_id, self.state, self.hub, password=password, central=central)

    def app(self, routes: Iterable, middlewares: tuple = (security.headers,)) -> web.Application:
        return build_app(self.cfg, self.hub, self.bridge, self.secret, routes, middlewares)


class WebServer:
    """The running server: state, hub, MQTT bridge and HTTP listener. Start and stop inside a loop."""

    def __init__(self, cfg: SiteConfig, web_id: str, *, password: str | None = None, secret: bytes | None = None,
                 clock: Callable[[], int] = now_ms, host: str | None = None, port: int | None = None,
                 routes: Iterable = ROUTES):
        w = cfg.web(web_id)
        if w is None:
            raise ConfigError(cfg.path, [cfg.unknown("web", web_id).split(": ", 1)[1]])
        if w.central:
            raise ConfigError(cfg.path, [f"webs (id {web_id}) is served centrally (central = true): "
                                         "start it on the central host with 'aufruf web --central FILE'"])
        self.cfg = cfg
        self.web = w
        self.config_path = cfg.path
        site = SiteParts(cfg, web_id, w.max_clients, password=password, secret=secret, clock=clock)
        self.sites = (site,)
        self.secret, self.state, self.hub, self.bridge = site.secret, site.state, site.hub, site.bridge
        self.host = host if host is not None else w.host
        self.port = port if port is not None else w.port
        self.routes = tuple(routes)
        self.runner: web.AppRunner | None = None
        self.healthy_at = time.monotonic()
        self._beat: asyncio.Task | None = None

    def describe(self) -> str:
        return f"site {self.cfg.site_id}"

    def build(self) -> web.Application:
        return self.sites[0].app(self.routes)

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.web.tls_cert:
            return None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(self.web.tls_cert, self.web.tls_key)
        except (OSError, ssl.SSLError) as e:
            raise ConfigError(self.config_path, [f"webs (id {self.web.id}).tls_cert/tls_key: cannot load "
                                              f"{self.web.tls_cert} and {self.web.tls_key}: {e}"]) from None
        return ctx

    async def start(self) -> None:
        ctx = self.ssl_context()
        for site in self.sites:
            site.hub.start()
            site.bridge.start()
        app = self.build()
        # no access log: ticket addresses carry their key, and addresses of visitors are nobody's business
        # handler_cancellation: a page's stream handler ends as soon as its browser goes away
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0,
                                    handler_cancellation=True,
                                    keepalive_timeout=30, max_line_size=security.MAX_LINE,
                                    max_field_size=security.MAX_FIELD, max_headers=security.MAX_HEADERS)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, ssl_context=ctx, backlog=512)
        await site.start()
        if self.port == 0:
            self.port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - the port the OS chose
        self._beat = asyncio.get_running_loop().create_task(self._heartbeat())
        log.info("web %s for %s on %s://%s:%s (public %s)", self.web.id, self.describe(),
                 "https" if ctx else "http", self.host, self.port, self.web.public_url)

    async def _heartbeat(self) -> None:
        """Proves the event loop is not stuck (the watchdog pings only while this runs)."""
        while True:
            self.healthy_at = time.monotonic()
            await asyncio.sleep(0.5)

    def healthy(self) -> bool:
        return time.monotonic() - self.healthy_at < STUCK_AFTER_S

    async def stop(self) -> None:
        if self._beat:
            self._beat.cancel()
        for site in self.sites:
            await site.hub.stop()
        if self.runner:
            await self.runner.cleanup()
        for site in self.sites:
            site.bridge.stop()


class CentralWebServer(WebServer):
    """``aufruf web --central``: several sites' pages under ``/s/<site>/``, over the central broker.

    Each site has its own state, hub and MQTT connection (its topics, its ticket secret),
    in an aiohttp sub-application of its own: the pages, streams and keys of one site
    never see another's. The staff pages stay on each site's own server.
    """

    def __init__(self, central: CentralConfig, *, password: str | None = None,
                 secrets: dict[str, bytes] | None = None, clock: Callable[[], int] = now_ms,
                 host: str | None = None, port: int | None = None):
        self.central = central
        self.cfg = None
        self.web = central.web
        self.config_path = central.path
        if password is None:
            password = read_password(central.broker.credentials_dir, f"web-{central.web.id}")
        self.sites = tuple(
            SiteParts(cfg, central.web.id, central.web.max_clients, password=password,
                      secret=(secrets or {}).get(cfg.site_id) or central_secret(central, cfg.site_id), clock=clock,
                      central=True)
            for cfg in central.sites)
        self.routes = CENTRAL_ROUTES
        self.host = host if host is not None else central.web.host
        self.port = port if port is not None else central.web.port
        self.runner = None
        self.healthy_at = time.monotonic()
        self._beat = None

    def describe(self) -> str:
        return "sites " + ", ".join(s.cfg.site_id for s in self.sites)

    def build(self) -> web.Application:
        # /s/<site> without its slash is redirected to /s/<site>/ (the board's links are relative)
        root = web.Application(middlewares=[security.headers, web.normalize_path_middleware(merge_slashes=False)],
                               client_max_size=security.MAX_BODY)
        root[central_pages.SITES] = self.sites
        central_pages.register(root)
        for site in self.sites:
            # the root's middleware already gives every answer its headers
            root.add_subapp(f"/s/{site.cfg.site_id}/", site.app(self.routes, middlewares=()))
        return root


def central_secret(central: CentralConfig, site_id: str) -> bytes:
    """A site's ticket secret on the central host: ``<credentials_dir>/<site>/ticket-secret``."""
    return ticketkey.read_secret(Path(central.broker.credentials_dir) / site_id)


class WebThread:
    """A :class:`WebServer` on its own event loop in a thread (the demo runs it beside the other parts)."""

    def __init__(self, cfg: SiteConfig, web_id: str, **kw):
        self.loop = asyncio.new_event_loop()
        self.server = WebServer(cfg, web_id, **kw)
        self.thread = threading.Thread(target=self.loop.run_forever, name=f"web-{web_id}", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        self.call(self.server.start(), timeout)

    def call(self, coro, timeout: float = 10.0):
        """Run a coroutine on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def run(self, fn: Callable[[], object], timeout: float = 5.0):
        """Call ``fn()`` on the server's loop (its state belongs to that thread)."""
        async def go():
            return fn()
        return self.call(go(), timeout)

    def stop(self) -> None:
        try:
            self.call(self.server.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


async def serve(svc: WebServer, stop: asyncio.Event, notifier: Notifier) -> None:
    await svc.start()
    notifier.ready(f"{svc.describe()}, port {svc.port}")
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass
        if svc.healthy():
            notifier.ping()
    notifier.stopping()
    await svc.stop()


def main(args: argparse.Namespace) -> int:
    if (args.central and (args.config or args.id)) or (not args.central and not (args.config and args.id)):
        print("aufruf web: give --config FILE --id NAME (one site), or --central FILE (several sites)",
              file=sys.stderr)
        return 2
    cfg = central = None
    if args.central:
        try:
            central = load_central(args.central)
        except ConfigError as e:
            print(e, file=sys.stderr)
            return 1
    else:
        cfg = load_or_exit(args.config)
        if cfg.web(args.id) is None:
            print(cfg.unknown("web", args.id), file=sys.stderr)
            return 1
    host = port = None
    if args.listen:
        host, _, p = args.listen.rpartition(":")
        if not host or not p.isdigit():
            print(f"aufruf web: --listen {args.listen}: use HOST:PORT", file=sys.stderr)
            return 2
        port = int(p)
    try:
        svc = (CentralWebServer(central, host=host, port=port) if central is not None
               else WebServer(cfg, args.id, host=host, port=port))
    except AufrufError as e:
        print(f"aufruf web: {e}", file=sys.stderr)
        return 1

    async def run() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await serve(svc, stop, Notifier())
        except (OSError, AufrufError) as e:
            print(f"aufruf web: {e}", file=sys.stderr)
            return 1
        return 0
    return asyncio.run(run())
