"""``aufruf demo``: the whole office on one machine, without hardware.

The only place that wires every part together in one process: a broker (the
installed Mosquitto with a generated loopback-only config, else the embedded
amqtt broker), the desk controller, the kiosk (gpiozero MockFactory buttons,
python-escpos Dummy printer) and the display, the same code the devices run.

Window mode shows the board beside a panel with the kiosk's buttons, the last
printed ticket and the four counters. ``--headless --scenario busy-morning``
runs a scripted, time-accelerated morning and writes board screenshots, the
printed tickets as PNG and a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import queue
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from aufruf import config, protocol, provision
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError

log = logging.getLogger(__name__)
KIOSK, DISPLAY, WEB = "entrance", "hall", "lobby"
SCENARIO_DAY = dt.date(2026, 11, 25)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """In the broker's child process: end it when the demo dies, even by kill -9 (Linux)."""
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def find_mosquitto() -> str | None:
    """The installed Mosquitto (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None)


class DemoOffice:
    """Broker, controller, kiosk and display of the model site, in this process."""

    def __init__(self, workdir: Path, broker: str = "auto", clock_ms: Callable[[], int] | None = None,
                 board_surface: Any = None, sound: bool = False):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.broker_kind = broker
        self.clock_ms = clock_ms
        self.board_surface = board_surface
        self.want_sound = sound
        self.mosquitto: subprocess.Popen | None = None
        self.embedded = None
        self.desk = self.kiosk = self.display = self.staff = self.sound = self.web = None
        self.printed: "queue.Queue[tuple[str | None, bytes]]" = queue.Queue()
        self.pin_factory = None
        self.cfg: SiteConfig | None = None
        self.first_ticket: str | None = None
        self.announce_urls = False  # print the first ticket's page when it is printed

    # ------------------------------------------------------------ start / stop

    def start(self) -> None:
        use_mosquitto = self.broker_kind == "mosquitto" or (self.broker_kind == "auto" and find_mosquitto())
        if self.broker_kind == "mosquitto" and not find_mosquitto():
            raise AufrufError("--broker mosquitto: Mosquitto is not installed (apt-get install mosquitto)")
        port = _free_port()
        brokerdir = self.dir / "broker"
        text = config.replace_table(config.EXAMPLE_SITE.read_text(encoding="utf-8"), "broker", {
            "host": "127.0.0.1", "port": port, "credentials_dir": str(brokerdir / "credentials"),
            "mqtt_version": 5 if use_mosquitto else 3})
        web_port = _free_port()  # aufruf web: the board page and the ticket pages behind the QR
        text += (f'\n[[webs]]\nid = "{WEB}"\nlisten = "127.0.0.1:{web_port}"\n'
                 f'public_url = "http://127.0.0.1:{web_port}"\n')
        site = self.dir / "site.toml"
        site.write_text(text, encoding="utf-8")
        self.cfg = cfg = config.load(site)
        names = provision.provision(cfg, brokerdir, port=port, bind="127.0.0.1",
                                    run_as="root" if os.geteuid() == 0 else None)
        if use_mosquitto:
            logf = open(self.dir / "mosquitto.log", "ab")
            self.mosquitto = subprocess.Popen([find_mosquitto(), "-c", str(brokerdir / "mosquitto.conf")],
                                              stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                                              preexec_fn=_die_with_parent)
            self._wait_port(port)
            log.info("broker: Mosquitto on 127.0.0.1:%d (config %s)", port, brokerdir / "mosquitto.conf")
        else:
            from .embedded_broker import EmbeddedBroker
            passwords = {n: (brokerdir / "credentials" / n).read_text().strip() for n in names}
            self.embedded = EmbeddedBroker(cfg, brokerdir, port, passwords)
            self.embedded.start()

        from desk.app import DeskService
        from display.app import DisplayApp
        from gpiozero.pins.mock import MockFactory
        from escpos.printer import Dummy
        from kiosk.kiosk import TicketKiosk
        from kiosk.printer import PrinterPort
        from aufruf.link import MqttLink
        from .staff import StaffSession

        clock_ms = self.clock_ms or (lambda: time.time_ns() // 1_000_000)
        seconds = (lambda: clock_ms() / 1000) if self.clock_ms else None

        def up(what: str, ok: bool) -> None:
            if not ok:
                raise AufrufError(f"the demo's {what} could not connect to the broker")

        # the readers first, one after the other: every subscription is in place before the
        # controller publishes its state (amqtt can drop a message that crosses a new subscription)
        if self.want_sound:
            from display.sound import SoundPlayer
            self.sound = SoundPlayer(cfg, cfg.display(DISPLAY))
            self.sound.start()
        display_kw = {"clock": seconds} if seconds else {}
        self.display = DisplayApp(cfg, DISPLAY, link_factory=MqttLink, surface=self.board_surface, sound=self.sound,
                                  **display_kw)
        self.display.link.start()
        up("display", self.display.link.wait_connected(10))
        from web.app import WebThread
        self.web = WebThread(cfg, WEB, clock=clock_ms)
        self.web.start()
        up("web server", self.web.server.bridge.link.wait_connected(10))
        topics = protocol.Topics(cfg.site_id)
        self.staff = StaffSession(cfg, (topics.all_replies, topics.all_desk_states, topics.call))
        self.staff.__enter__()
        up("staff panel", self.staff.link.wait_connected(10))
        self.pin_factory = MockFactory()
        kiosk_kw = {"clock": seconds} if seconds else {}
        self.kiosk = TicketKiosk(cfg, KIOSK, printer=PrinterPort.of(Dummy()), pin_factory=self.pin_factory,
                           on_printed=self._printed, **kiosk_kw)
        self.kiosk.start()
        up("kiosk", self.kiosk.link.wait_connected(10))
        self.desk = DeskService(cfg, "main", str(self.dir / "data"), keypads=False, clock=clock_ms)
        self.desk.start()
        up("controller", self.desk.link.wait_connected(10))
        up("kiosk", self.kiosk.wait_ready(10))
        log.info("demo office running in %s", self.dir)

    def _printed(self, number: str | None, raw: bytes) -> None:
        self.printed.put((number, raw))
        if number and self.first_ticket is None:
            self.first_ticket = number
            if self.announce_urls:
                print(f"ticket {number}: {self.ticket_url(number)}", flush=True)

    def _wait_port(self, port: int) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.mosquitto and self.mosquitto.poll() is not None:
                raise AufrufError(f"Mosquitto exited; see {self.dir / 'mosquitto.log'}")
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AufrufError("Mosquitto did not start listening")

    def stop(self) -> None:
        """Stop every part; the broker process is never left behind."""
        for part, how in ((self.staff, lambda s: s.__exit__(None, None, None)), (self.kiosk, lambda k: k.stop()),
                          (self.display, lambda d: d.link.stop()), (self.sound, lambda s: s.close()),
                          (self.web, lambda w: w.stop()), (self.desk, lambda d: d.stop()),
                          (self.embedded, lambda b: b.stop())):
            if part is not None:
                try:
                    how(part)
                except Exception:  # noqa: BLE001 - stop the rest regardless
                    log.exception("stopping %s failed", type(part).__name__)
        if self.mosquitto is not None and self.mosquitto.poll() is None:
            self.mosquitto.terminate()
            try:
                self.mosquitto.wait(10)
            except subprocess.TimeoutExpired:
                self.mosquitto.kill()
                self.mosquitto.wait()

    # ------------------------------------------------------------ actions (same paths as the devices)

    def press(self, service: str) -> None:
        """Press and release the kiosk button of a service (a mock GPIO pin)."""
        btn = next(b for b in self.cfg.kiosk(KIOSK).buttons if b.service == service)
        pin = self.pin_factory.pin(btn.pin)
        pin.drive_low()
        pin.drive_high()

    def command(self, desk: str, action: str, timeout: float = 5.0, **extra: str) -> protocol.CommandReply:
        """Send a desk command over MQTT as the staff tools do and return the reply."""
        clock = self.clock_ms or (lambda: time.time_ns() // 1_000_000)
        # sent_at on the office's own clock (the scripted morning's is simulated)
        cmd = protocol.Command(f"demo-{uuid.uuid4().hex[:12]}", action, sent_at=clock(), **extra)
        t = protocol.Topics(self.cfg.site_id)
        return self.staff.request(t.command(desk), t.reply(desk), cmd, protocol.CommandReply, timeout)

    def desk_state(self, desk: str) -> protocol.DeskState | None:
        """A counter's retained state as every staff client sees it (never the controller's memory)."""
        return self.staff.retained(protocol.Topics(self.cfg.site_id).desk_state(desk), protocol.DeskState)

    def recent_calls(self, timeout: float = 10.0) -> list[tuple[str, str]]:
        """The controller's last calls (newest first), read on its own worker thread."""
        out: queue.Queue = queue.Queue()
        ctl = self.desk.controller
        ctl.run_in_worker(lambda: out.put([(c.number, c.desk) for c in reversed(ctl.office.recent_calls)]))
        return out.get(timeout=timeout)

    @property
    def board_url(self) -> str:
        return self.cfg.web(WEB).public_url + "/"

    def staff_hint(self) -> str:
        """Where the counter panel and the office view are, with the demo's own staff passwords."""
        creds = Path(self.cfg.broker.credentials_dir)
        pw = {u: (creds / u).read_text(encoding="utf-8").strip() for u in ("panel-1", "supervisor")}
        return (f"counter panel: {self.board_url}desk (Schalter 1, password {pw['panel-1']}); "
                f"office view: {self.board_url}office (password {pw['supervisor']})")

    def ticket_url(self, number: str) -> str:
        """The page of today's ticket ``number``: what the QR code on it opens."""
        from aufruf import ticketkey
        now = self.clock_ms() if self.clock_ms else time.time_ns() // 1_000_000
        key = ticketkey.ticket_key(self.web.server.secret, self.cfg.site_id, self.cfg.service_day(now), number)
        return self.cfg.web(WEB).ticket_url().format(number=number, key=key)

    def waiting(self, timeout: float = 10.0) -> dict[str, int]:
        """The controller's waiting count per service, read on its own worker thread."""
        out: queue.Queue = queue.Queue()
        ctl = self.desk.controller
        ctl.run_in_worker(lambda: out.put({s.key: ctl.office.waiting(s.key) for s in self.cfg.services}))
        return out.get(timeout=timeout)

    def ticket_image(self) -> Any:
        """The last printed ticket as a PIL image of the paper (None before the first)."""
        from kiosk.render import render_image
        layout = self.kiosk.last_layout
        return render_image(layout) if layout is not None else None


# ---------------------------------------------------------------- headless scenario

class ScenarioDriver:
    """Carries a simulated morning to the demo office: pin presses, desk commands, screenshots."""

    def __init__(self, office: DemoOffice, clock: list[int], out: Path):
        self.office = office
        self.clock = clock
        self.out = out
        self.last_press: dict[str, int] = {}
        self.shots: list[dict] = []
        (out / "tickets").mkdir(parents=True, exist_ok=True)

    def set_time(self, at_ms: int) -> None:
        self.clock[0] = max(self.clock[0], at_ms)
        self.office.display.drain()                 # the display lives through the morning too
        self.office.display.tick(self.clock[0] / 1000)

    def ticket(self, service: str) -> str | None:
        gap = int(self.office.cfg.kiosk(KIOSK).min_gap_s * 1000) + 1
        if self.clock[0] - self.last_press.get(service, -gap) < gap:
            self.clock[0] = self.last_press[service] + gap       # the next customer steps up a moment later
        self.last_press[service] = self.clock[0]
        self.office.press(service)
        try:
            number, _raw = self.office.printed.get(timeout=10)
        except queue.Empty:
            log.error("no ticket printed for a %s press", service)
            return None
        img = self.office.ticket_image()
        if img is not None and number:
            img.save(self.out / "tickets" / f"{number}.png")
        return number

    def command(self, desk: str, action: str, **extra: str) -> dict:
        staff = self.office.staff
        mark = len(staff.log)
        r = self.office.command(desk, action, **extra)
        if r.ok and r.ticket and action in ("next", "recall", "call"):
            self._sync_call(staff, mark, r.ticket, desk)
        return {"ok": r.ok, "ticket": r.ticket, "error": r.error}

    def _sync_call(self, staff: Any, mark: int, number: str, desk: str) -> None:
        """Wait until the display holds this call: it then takes its turn at the same simulated moment
        in every run (the same seed gives the same pictures)."""
        event = staff.wait_for(protocol.Topics(self.office.cfg.site_id).call,
                               lambda o: o.get("number") == number and o.get("desk") == desk, 10, mark,
                               protocol.CallEvent)
        if event is None:
            log.warning("no call event for %s at desk %s within 10 s", number, desk)
            return
        app = self.office.display
        deadline = time.monotonic() + 10
        while not app.model.seen(event.id) and time.monotonic() < deadline:
            if not app.drain():
                time.sleep(0.002)

    def snapshot(self, label: str) -> None:
        import pygame
        office = self.office
        expected = office.recent_calls()
        waiting = office.waiting()
        deadline = time.monotonic() + 10
        app = office.display
        now = self.clock[0] / 1000
        while time.monotonic() < deadline:       # until the board shows what the ledger says
            app.drain()
            app.tick(now)
            # the same calls (the order may differ while a call that came in this very second waits its
            # turn) and the latest waiting counts: the picture is then the same in every run
            if sorted((c.number, c.desk) for c in app.model.calls) == sorted(expected[:10]) and \
                    {line.key: line.waiting for line in app.model.services()} == waiting:
                break
            time.sleep(0.01)
        else:
            log.warning("screenshot %s: the board did not catch up with the ledger within 10 s "
                        "(board %s, ledger %s)", label, [c.number for c in app.model.calls], [n for n, _ in expected])
        app.draw(now)
        name = f"board-{label}.png"
        pygame.image.save(app.surface, str(self.out / name))
        at = dt.datetime.fromtimestamp(now, office.cfg.tz)
        shown = {"file": name, "at": at.strftime("%H:%M"),
                 "current": {"number": app.model.current.number, "desk": app.model.current.desk}
                 if app.model.current else None,
                 "calls": [{"number": c.number, "desk": c.desk} for c in app.model.calls]}
        self.shots.append(shown)
        log.info("screenshot %s at %s: %s", name, shown["at"],
                 f"{shown['current']['number']} -> desk {shown['current']['desk']}" if shown["current"] else "no call")


def fresh_start(workdir: Path, out: Path) -> None:
    """A scripted run starts from nothing: no ledger, broker state or pictures of an earlier run in the
    same ``--data`` and ``--out`` (only what the demo itself writes there is removed)."""
    for d in (workdir / "data", workdir / "broker" / "data"):
        if d.is_dir():
            log.info("removing the previous run's %s", d)
            shutil.rmtree(d)
    out.mkdir(parents=True, exist_ok=True)
    for pattern in ("board-*.png", "tickets/*.png", "summary.json", "summary.txt"):
        for f in out.glob(pattern):
            f.unlink()


def run_headless(workdir: Path, out: Path, scenario: str, broker: str, size: tuple[int, int], seed: int) -> int:
    """Run a scripted, time-accelerated morning; write screenshots, tickets and a summary."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from .scenario import PLANS, Simulation
    if scenario not in PLANS:
        print(f"unknown scenario {scenario!r}; allowed: {', '.join(PLANS)}", file=sys.stderr)
        return 2
    pygame.display.init()
    pygame.font.init()
    surface = pygame.Surface(size)
    fresh_start(workdir, out)
    day = SCENARIO_DAY         # a fixed Wednesday: the same seed gives the same pictures on any day
    cfg = config.load(config.EXAMPLE_SITE)
    sim = Simulation(cfg, PLANS[scenario], day, seed)
    clock = [sim.t0 - 60_000]
    office = DemoOffice(workdir, broker, clock_ms=lambda: clock[0], board_surface=surface)
    started = time.monotonic()
    try:
        office.start()
        driver = ScenarioDriver(office, clock, out)
        print(f"board in the browser: {office.board_url}", flush=True)
        report = sim.run(driver)
        driver.snapshot("end")
        summary = _summary(office, report, driver, time.monotonic() - started, scenario)
        if office.first_ticket:
            summary["web"] = {"board": office.board_url,
                              "ticket": [office.first_ticket, office.ticket_url(office.first_ticket)]}
    finally:
        office.stop()
        pygame.quit()
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    text = _summary_text(summary)
    (out / "summary.txt").write_text(text, encoding="utf-8")
    print(text)
    print(f"\nwrote {len(driver.shots)} board screenshots, {summary['tickets_printed']} tickets and the summary to {out}")
    return 0


def _summary(office: DemoOffice, report: Any, driver: ScenarioDriver, seconds: float, scenario: str) -> dict:
    con = sqlite3.connect(f"file:{office.dir / 'data' / 'ledger.db'}?mode=ro", uri=True)
    try:
        day = con.execute("SELECT value FROM meta WHERE key='day'").fetchone()[0]
        states = dict(con.execute("SELECT state, COUNT(*) FROM tickets WHERE day=? GROUP BY state", [day]))
        issued = dict(con.execute("SELECT service, COUNT(*) FROM tickets WHERE day=? GROUP BY service", [day]))
        per_desk = dict(con.execute("SELECT desk, COUNT(*) FROM events WHERE day=? AND kind='call' GROUP BY desk",
                                    [day]))
        kinds = dict(con.execute("SELECT kind, COUNT(*) FROM events WHERE day=? GROUP BY kind", [day]))
        waits: dict[str, list[float]] = {}
        for svc, issued_at, first in con.execute(
                "SELECT t.service, t.issued_at, MIN(e.at) FROM tickets t JOIN events e ON e.day=t.day "
                "AND e.number=t.number AND e.kind='call' WHERE t.day=? GROUP BY t.number", [day]):
            waits.setdefault(svc, []).append((first - issued_at) / 60000)
    finally:
        con.close()
    return {
        "scenario": scenario,
        "broker": "mosquitto" if office.mosquitto else "embedded (amqtt)",
        "day": day,
        "from": dt.datetime.fromtimestamp(report.first_ms / 1000, office.cfg.tz).strftime("%H:%M"),
        "to": dt.datetime.fromtimestamp(report.last_ms / 1000, office.cfg.tz).strftime("%H:%M"),
        "real_seconds": round(seconds, 1),
        "tickets_issued": issued,
        "tickets_printed": len(list((driver.out / "tickets").glob("*.png"))),
        "final_states": states,
        "calls_per_desk": per_desk,
        "calls": kinds.get("call", 0), "recalls": kinds.get("recall", 0), "noshows": kinds.get("noshow", 0),
        "transfers": kinds.get("transfer", 0), "pauses": kinds.get("pause", 0),
        "wait_minutes": {k: {"median": round(statistics.median(v), 1), "max": round(max(v), 1)}
                         for k, v in sorted(waits.items())},
        "refused": report.refused,
        "screenshots": driver.shots,
    }


def _summary_text(s: dict) -> str:
    lines = [f"aufruf demo: a morning at Jobcenter Mitte, {s['day']} {s['from']}-{s['to']} "
             f"({s['real_seconds']} s real time, broker: {s['broker']})",
             f"tickets issued: {', '.join(f'{k} {v}' for k, v in sorted(s['tickets_issued'].items()))}; "
             f"printed: {s['tickets_printed']}",
             f"calls: {s['calls']} ({', '.join(f'desk {d}: {n}' for d, n in sorted(s['calls_per_desk'].items()))}), "
             f"recalls {s['recalls']}, no-shows {s['noshows']}, transfers {s['transfers']}, pauses {s['pauses']}",
             "waiting time: " + "; ".join(f"{k} median {w['median']} min, max {w['max']} min"
                                          for k, w in s["wait_minutes"].items()),
             f"final states: {', '.join(f'{k} {v}' for k, v in sorted(s['final_states'].items()))}"]
    for shot in s["screenshots"]:
        cur = shot["current"]
        lines.append(f"  {shot['file']} at {shot['at']}: "
                     f"{cur['number'] + ' -> desk ' + cur['desk'] if cur else 'no call yet'}")
    if s.get("web"):
        lines.append(f"web (while the demo runs): board {s['web']['board']}, "
                     f"ticket {s['web']['ticket'][0]} {s['web']['ticket'][1]}")
    return "\n".join(lines)


# ---------------------------------------------------------------- window

def office_clock(cfg: SiteConfig, now: dt.datetime) -> tuple[int, str | None]:
    """The window demo's clock: real time inside the model office's opening hours; outside them, it
    starts at 09:00 of the last opening day (else the board would only say "closed").

    Returns (milliseconds to add to the real clock, the sentence saying so, or None).
    """
    local = now.astimezone(cfg.tz)
    if cfg.is_open(local):
        return 0, None
    day = local.date()
    for _ in range(8):
        candidate = dt.datetime.combine(day, dt.time(9, 0), tzinfo=cfg.tz)
        if cfg.is_open(candidate) and candidate <= local:
            break
        day -= dt.timedelta(days=1)
    else:
        return 0, "the model office has no opening hours at 09:00: the board shows it closed"
    shift = int((candidate - local).total_seconds() * 1000)
    return shift, (f"outside the model office's opening hours ({local:%a %H:%M} here): the demo's clock "
                   f"starts at {candidate:%a %d.%m. %H:%M} instead")


def run_window(workdir: Path, broker: str, size: tuple[int, int]) -> int:
    """The interactive demo: the board beside the kiosk and the counters, in one window."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from .demo_panel import DemoWindow
    pygame.init()
    try:
        screen = pygame.display.set_mode(size)
    except pygame.error as e:
        print(f"cannot open a window ({e}); try: aufruf demo --headless", file=sys.stderr)
        return 1
    pygame.display.set_caption("aufruf demo: Jobcenter Mitte")
    panel = DemoWindow(screen)
    offset_ms, why = office_clock(config.load(config.EXAMPLE_SITE), dt.datetime.now().astimezone())
    if why:
        print(why)
    clock_ms = (lambda: time.time_ns() // 1_000_000 + offset_ms) if offset_ms else None
    office = DemoOffice(workdir, broker, board_surface=panel.board_surface, sound=True, clock_ms=clock_ms)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):   # Ctrl-C too, even where the shell started us ignoring it
        signal.signal(sig, lambda *_: stop.set())
    try:
        office.announce_urls = True
        office.start()
        panel.attach(office)
        print(panel.help_text())
        print(f"board in the browser: {office.board_url}  (each ticket's page: its QR code)", flush=True)
        print(office.staff_hint(), flush=True)
        clock = pygame.time.Clock()
        while not stop.is_set() and panel.running:
            for event in pygame.event.get():
                panel.handle(event)
            office.display.drain()
            office.display.tick()
            rects = [r.move(panel.board_rect.topleft) for r in office.display.draw()]
            rects += panel.draw()
            if rects:
                pygame.display.update(rects)
            clock.tick(30)
    except KeyboardInterrupt:
        pass
    finally:
        panel.close()
        office.stop()
        pygame.quit()
    print(f"demo stopped; the ledger is kept in {workdir / 'data'}")
    return 0


# ---------------------------------------------------------------- command line

def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true", help="no window: run a scripted scenario and write files")
    p.add_argument("--scenario", default="busy-morning", help="the scripted scenario (default busy-morning)")
    p.add_argument("--out", default="demo-out", help="where --headless writes screenshots, tickets and the summary")
    p.add_argument("--data", help="working directory for the broker config and the ledger (default: a new "
                                  "temporary directory)")
    p.add_argument("--broker", choices=("auto", "mosquitto", "embedded"), default="auto",
                   help="auto: the installed Mosquitto if there is one, else the embedded broker")
    p.add_argument("--size", default=None, help="window size (default 1600x900) or board size with --headless "
                                                "(default 1920x1080)")
    p.add_argument("--seed", type=int, default=7, help="random seed of the scenario")


def has_screen() -> bool:
    """Whether a window can be opened (a desktop session, or SDL told explicitly where to draw)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("SDL_VIDEODRIVER")
                or sys.platform in ("darwin", "win32"))


def main(args: argparse.Namespace) -> int:
    workdir = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="aufruf-demo-"))
    headless = args.headless
    if not headless and not has_screen():
        print("no screen here (no DISPLAY): running the scripted morning instead, as with "
              "'aufruf demo --headless'", file=sys.stderr)
        headless = True
    if headless and not getattr(args, "verbose", False):
        logging.getLogger().setLevel(logging.WARNING)     # the summary, not a log line per ticket (-v: all)
    try:
        if headless:
            size = _size(args.size, (1920, 1080))
            return run_headless(workdir, Path(args.out), args.scenario, args.broker, size, args.seed)
        return run_window(workdir, args.broker, _size(args.size, (1600, 900)))
    except AufrufError as e:
        print(f"aufruf demo: {e}", file=sys.stderr)
        return 1


def _size(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    if not text:
        return default
    w, h = text.lower().split("x")
    return int(w), int(h)
