"""``aufruf display``: the waiting-room board on the display Pi.

:class:`DisplayApp` wires the MQTT link, the :class:`~display.board.BoardModel`,
the :class:`~display.render.Renderer` and the sound. MQTT messages arrive on
paho's thread and are handed over through a queue; the main loop blocks on
that queue until a message comes or the next timer (clock, highlight end) is due. The app
can also be driven in-process (the demo, tests): ``handle(topic, payload)``,
``tick(now)``, ``draw(now)`` on any surface.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import queue
import signal
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from aufruf import protocol
from aufruf.config import DEFAULT_PATH, SiteConfig
from aufruf.errors import PayloadError

from .board import OFFLINE_AFTER_S, BoardModel, BoardEntry

if TYPE_CHECKING:
    from aufruf.link import MqttLink

log = logging.getLogger(__name__)

def subscriptions(cfg: SiteConfig) -> tuple[str, ...]:
    """The topics a display reads."""
    t = protocol.Topics(cfg.site_id)
    return (t.call, t.board, t.queue)


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``1920x1080`` -> (1920, 1080); raises ValueError with a readable reason."""
    if not text:
        return None
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1920x1080") from None
    if not (160 <= w <= 8192 and 160 <= h <= 8192):
        raise ValueError(f"size {text!r} is out of range (160..8192 per side)")
    return w, h


class DisplayApp:
    """One display: applies messages to the model, announces new calls, paints what changed."""

    def __init__(self, cfg: SiteConfig, display_id: str, *, link_factory: "Callable[..., MqttLink] | None" = None,
                 surface: Any = None, screen: Any = None, sound: Any = None, clock: Callable[[], float] = time.time,
                 offline_after_s: float = OFFLINE_AFTER_S, window: bool = False, notifier: Any = None,
                 monitor: Any = None):
        """``link_factory`` (e.g. :class:`~aufruf.link.MqttLink`) is called once with the link's
        configuration; without it the app has no link (screenshots, tests feed :meth:`handle`).
        ``screen``: the window, when the board is drawn upright into ``surface`` and rotated onto it.
        ``monitor``: a :class:`~display.screen.Screen` that opens the screen when a monitor is there
        (then ``surface`` is None until it is).
        """
        display = cfg.display(display_id)
        if display is None:
            raise ValueError(cfg.unknown("display", display_id))
        self.cfg = cfg
        self.display = display
        self.topics = protocol.Topics(cfg.site_id)
        self.clock = clock
        self.model = BoardModel(cfg, display, offline_after_s=offline_after_s, now=clock())
        self.sound = sound
        self.window = window
        self.notifier = notifier
        self.monitor = monitor      # a display.screen.Screen: waits for the monitor, reopens it (the Pi)
        self._ready = False         # READY=1 sent to systemd (status lines only after it)
        self.surface = surface
        self.renderer = None
        self.screen = screen        # the window, when the board is drawn rotated into ``surface``
        if surface is not None:
            from .render import Renderer
            self.renderer = Renderer(cfg, display, surface)
            self.renderer.prerender(self.model, clock())
        self.inbox: queue.Queue[InboxItem] = queue.Queue()
        self.running = True
        self.frames = 0
        self.accepted = 0           # messages applied
        self.rejected = 0           # bad, repeated or retained-call messages (board unchanged)
        self.on_frame: Callable[[list, float], None] | None = None   # hook for benchmarks
        self._bad_seen: set[tuple[str, str]] = set()
        if sound is not None and hasattr(sound, "on_idle"):
            sound.on_idle = lambda: self._post(SoundIdle())    # wake up: a queued call may go next
        self.link: "MqttLink | None" = None
        if link_factory is not None:
            self.link = link_factory(cfg.broker, cfg.site_id, "display", display_id, subscriptions=subscriptions(cfg),
                                     handler=self.receive, on_connect=lambda: self._post(LinkState(True)),
                                     on_disconnect=lambda: self._post(LinkState(False)))

    # ------------------------------------------------------------ input (any thread)

    def receive(self, topic: str, payload: bytes, retained: bool) -> None:
        """The link's handler (paho's thread): queue the message and wake the main loop."""
        self._post(Incoming(topic, payload, retained))

    def _post(self, item: "InboxItem") -> None:
        self.inbox.put(item)

    # ------------------------------------------------------------ main thread

    def handle(self, topic: str, payload: bytes, retained: bool = False) -> bool:
        """Apply one message; False (and the board unchanged) for a bad or repeated one."""
        ok = self._handle(topic, payload, retained)
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1
        return ok

    def _handle(self, topic: str, payload: bytes, retained: bool) -> bool:
        now = self.clock()
        try:
            if topic == self.topics.board:
                self.model.apply_board(protocol.Board.from_json(payload))
            elif topic == self.topics.queue:
                self.model.apply_queue(protocol.QueueState.from_json(payload))
            elif topic == self.topics.call:
                call = protocol.CallEvent.from_json(payload)
                if retained:
                    log.info("ignored a retained call %s (calls are events; old ones are not replayed)",
                             call.number)
                    return False
                if not self.model.apply_call(call, now):
                    log.debug("call id %s seen before (redelivery): ignored", call.id)
                    return False
                log.info("call %s -> desk %s%s received", call.number, call.desk, " (recall)" if call.recall else "")
            else:
                return False
        except PayloadError as e:
            key = (topic, str(e))
            if key not in self._bad_seen:
                if len(self._bad_seen) < 256:
                    self._bad_seen.add(key)
                log.warning("bad payload on %s: %s (board unchanged)", topic, e)
            return False
        return True

    def tick(self, now: float | None = None) -> list[BoardEntry]:
        """Advance timers; calls put up now are announced (chime + speech)."""
        now = self.clock() if now is None else now
        started = self.model.tick(now, hold=bool(getattr(self.sound, "busy", False)))
        for call in started:
            log.info("showing %s -> desk %s%s", call.number, call.desk, " (recall)" if call.recall else "")
            if self.sound is not None:
                self.sound.announce(call)
        return started

    def draw(self, now: float | None = None) -> list:
        """Paint what changed onto the surface; returns the changed rectangles."""
        if self.renderer is None:
            return []
        return self.renderer.draw(self.model, self.clock() if now is None else now)

    def drain(self) -> int:
        """Apply everything the link has queued; returns how many items."""
        n = 0
        while True:
            try:
                item = self.inbox.get_nowait()
            except queue.Empty:
                return n
            n += 1
            self._apply(item)

    def _apply(self, item: "InboxItem") -> None:
        if isinstance(item, Incoming):
            self.handle(item.topic, item.payload, item.retained)
        elif isinstance(item, LinkState):
            self.model.set_connected(item.connected, self.clock())
            log.info("broker %s", "connected" if item.connected else "lost; showing the last board")

    def _timeout(self, now: float, max_wait: float) -> float:
        """Sleep until the next second (clock, ticker) or the model's next deadline."""
        wait = min(max_wait, 1.0 - (now % 1.0) + 0.005)
        if self.renderer is not None and self.renderer.turn_pending:
            return 0.0                          # the language turn held back behind a call's frame
        deadline = self.model.next_deadline(now)
        if deadline is not None:
            wait = min(wait, max(0.0, deadline - now))
        return wait

    def step(self, max_wait: float = 1.0) -> list:
        """One turn of the main loop: wait for a message or the next timer, apply, tick, draw.

        It blocks on the inbox queue, not in ``pygame.event.wait(timeout)``: for video drivers
        without a native wait (the dummy driver, measured) SDL polls every millisecond, 2 % of a
        core for an idle board against under 0.1 % for a blocking queue.
        Window events (close, Esc) are read at each turn, at least once a second.
        """
        wait = self._timeout(self.clock(), max_wait)
        try:
            self._apply(self.inbox.get(timeout=wait))
        except queue.Empty:
            pass
        if self.monitor is not None:
            self.watch_monitor(time.monotonic())
        if self.window and self.renderer is not None:
            import pygame
            for e in pygame.event.get():
                if e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key in (pygame.K_ESCAPE, pygame.K_q)):
                    self.running = False
                elif e.type == pygame.AUDIODEVICEREMOVED and not e.iscapture and self.sound is not None \
                        and hasattr(self.sound, "device_lost"):
                    self.sound.device_lost()
        self.drain()
        now = self.clock()
        self.tick(now)
        rects = self.draw(now)
        if rects:
            try:
                self.present(rects)
            except Exception as e:  # noqa: BLE001 - pygame.error: the screen went away under SDL
                if self.monitor is None:
                    raise
                self.monitor.failed(e)
                self.detach()
            self.frames += 1
            if self.on_frame is not None:
                self.on_frame(rects, now)
        if self.notifier is not None:
            self.notifier.ping()
        return rects

    def present(self, rects: list) -> None:
        """Show the changed rectangles on the screen (a rotated board: the whole frame)."""
        if not self.window:
            return
        import pygame
        if self.screen is not None:
            self.screen.blit(pygame.transform.rotate(self.surface, 90), (0, 0))
            pygame.display.flip()
        else:
            pygame.display.update(rects)

    def attach(self, screen: Any, board: Any = None) -> None:
        """Draw on a (newly opened) screen from now on; ``board``: the upright surface of a rotated one."""
        from .render import Renderer
        self.surface = board if board is not None else screen
        self.screen = screen if board is not None else None
        self.renderer = Renderer(self.cfg, self.display, self.surface)
        self.renderer.prerender(self.model, self.clock())

    def detach(self) -> None:
        """The screen is gone: keep the model, draw nothing until :meth:`attach`."""
        self.renderer = None
        self.surface = None
        self.screen = None

    def watch_monitor(self, now: float) -> None:
        """Let the monitor watch open the screen, or notice it went away; tell systemd and the log."""
        before = self.monitor.state
        change = self.monitor.poll(now)
        if change == "opened":
            opened = self.monitor.opened
            self.attach(opened.screen, opened.board)
            w, h = self.surface.get_size()
            log.info("display %s up: %dx%d%s", self.display.id, w, h, " (rotated)" if opened.board is not None else "")
        changed = self.monitor.state != before
        if changed and self.link is not None:
            self.link.publish_status_now()          # staff see "screen": "waiting" / "ok" / "disconnected"
        if self.notifier is not None and self._ready and (change or changed):
            if self.monitor.state == "ok":
                self.notifier.status(f"display {self.display.id}: showing the board")
            else:
                self.notifier.status(f"display {self.display.id}: waiting for a screen: {self.monitor.reason or self.monitor.state}")

    def run(self) -> None:
        """The main loop until a quit event or :meth:`stop`."""
        self.drain()
        self.tick()
        if self.monitor is not None:
            self.watch_monitor(time.monotonic())
        if self.renderer is not None:
            self.present(self.draw() or [])
        if self.notifier is not None:
            self.notifier.ready(f"display {self.display.id}" + ("" if self.renderer is not None
                                                                  else ": waiting for a screen"))
        self._ready = True
        while self.running:
            self.step()

    def stop(self) -> None:
        """Ask the main loop to end (from a signal handler or another thread)."""
        self.running = False
        self._post(Stop())


# ---------------------------------------------------------------- command line

def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--id", required=True, help="this display's id from [[displays]]")
    p.add_argument("--windowed", action="store_true", help="a window instead of full screen (desktop, demo)")
    p.add_argument("--size", help="WIDTHxHEIGHT of the board, e.g. 1920x1080 or 1080x1920")
    p.add_argument("--check", action="store_true",
                   help="say what this Pi lacks for the screen (KMSDRM libraries, monitor) and the sound, then exit")
    p.add_argument("--test-sound", action="store_true",
                   help="play the chime and one spoken call on the site file's audio_device, then exit "
                        "(stop the display's service first: it holds the device)")


def main(args: argparse.Namespace) -> int:
    from aufruf.config import load_or_exit
    from aufruf.errors import LinkError
    from aufruf.link import MqttLink
    from aufruf.watchdog import Notifier

    cfg = load_or_exit(args.config)
    display = cfg.display(args.id)
    if display is None:
        print(cfg.unknown("display", args.id), file=sys.stderr)
        return 1
    if args.check:
        from .check import report
        return report(display)
    if args.test_sound:
        os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
        from .check import play_test
        return play_test(cfg, display)
    try:
        size = parse_size(args.size) or display.size
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from aufruf.instance import InstanceError, claim
    try:
        held = claim(cfg, "display", display.id)     # a second display with this id is refused
    except (InstanceError, LinkError) as e:
        print(f"aufruf display: {e}", file=sys.stderr)
        return 1

    from .screen import Screen
    from .sound import SoundPlayer
    sound = SoundPlayer(cfg, display)
    monitor = Screen(display, size, windowed=args.windowed)
    pygame.font.init()
    notifier = Notifier()
    try:
        app = DisplayApp(cfg, display.id, link_factory=functools.partial(
                             MqttLink, status_extra=lambda: {"sound": sound.state, "screen": monitor.state}),
                         sound=sound, window=True, notifier=notifier, monitor=monitor)
    except LinkError as e:
        print(e, file=sys.stderr)
        return 1
    link = app.link
    # only the flag: the handler runs on the main thread, which may be holding the inbox's lock
    # in a get() at that moment (a put from here would wait for itself); the loop waits <= 1 s
    signal.signal(signal.SIGTERM, lambda *_: setattr(app, "running", False))
    sound.start()
    link.start()
    try:
        app.run()
    finally:
        notifier.stopping()
        link.stop()
        sound.close()
        pygame.quit()
        held.release()
    return 0


# ---------------------------------------------------------------- the main loop's queue items

@dataclass(frozen=True)
class Incoming:
    """An MQTT message (paho's thread)."""

    topic: str
    payload: bytes
    retained: bool = False


@dataclass(frozen=True)
class LinkState:
    """The broker link came up or went away."""

    connected: bool


@dataclass(frozen=True)
class SoundIdle:
    """The announcement finished: a queued call may go next."""


@dataclass(frozen=True)
class Stop:
    """End the main loop."""


InboxItem = Incoming | LinkState | SoundIdle | Stop
