"""The screen of a display Pi: waiting for one, opening it, noticing it go away and come back.

On the Pi the board is drawn on the console through SDL's KMSDRM driver, which
needs a connected monitor: a TV switched on after the Pi booted, or a monitor
that was off for the night, must not end the service. :class:`Screen` keeps
trying (the main loop goes on feeding the watchdog meanwhile) and reads the
kernel's connector state (``/sys/class/drm/card*-*/status``) to see a monitor
appear, go away and come back; when it comes back the screen is opened afresh,
so a monitor with another resolution gets a board of its size.

SDL picks a video driver itself when ``SDL_VIDEODRIVER`` is unset, and may end
on ``offscreen`` or ``dummy``: an invisible surface that would report itself
healthy on a black screen. Those two are refused unless asked for
(``SDL_VIDEODRIVER=dummy`` set on purpose, as the tests do, or ``--windowed``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DRM_SYSFS = Path(os.environ.get("AUFRUF_DRM_SYSFS", "/sys/class/drm"))
VIRTUAL_DRIVERS = ("offscreen", "dummy")
WINDOW_DEFAULT = (1280, 720)

WAITING = "waiting"          # no monitor yet (or opening failed): trying again
UP = "ok"                    # the board is on a screen
DISCONNECTED = "disconnected"  # it was up, the monitor went away; reopened when it is back


class ScreenError(Exception):
    """The screen cannot be opened now (no monitor, no DRM master, a refused driver)."""


def connectors(root: Path = DRM_SYSFS) -> dict[str, str]:
    """The kernel's display connectors and their state: ``{"card1-HDMI-A-1": "connected", ...}``.

    Empty where there is no DRM (a desktop in a VM, a test machine): then only opening tells.
    Writeback connectors (no monitor behind them) are left out.
    """
    out = {}
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return out
    for d in entries:
        if "-" not in d.name or "Writeback" in d.name:
            continue
        try:
            out[d.name] = (d / "status").read_text().strip()
        except OSError:
            continue
    return out


def monitor_present(states: dict[str, str]) -> bool | None:
    """True if a connector reports a monitor, False if none does, None when the kernel tells nothing."""
    if not states:
        return None
    return any(s == "connected" for s in states.values())


@dataclass
class Opened:
    screen: Any                 # the pygame display surface
    board: Any                  # an upright surface to draw into when the monitor hangs rotated, else None
    driver: str


def open_screen(display, size: tuple[int, int] | None, windowed: bool) -> Opened:
    """Open the window or the full screen once; raises :class:`ScreenError` with the reason."""
    import pygame
    asked = os.environ.get("SDL_VIDEODRIVER", "").strip().lower()
    try:
        pygame.display.init()
        driver = pygame.display.get_driver()
        if driver in VIRTUAL_DRIVERS and not windowed and asked != driver:
            pygame.display.quit()
            raise ScreenError(f"SDL fell back to its '{driver}' video driver, which shows nothing "
                              "(set SDL_VIDEODRIVER=kmsdrm on the Pi's console, or use --windowed on a desktop)")
        pygame.display.set_caption("aufruf")
        if windowed:
            if size is None:
                size = WINDOW_DEFAULT[::-1] if display.orientation == "portrait" else WINDOW_DEFAULT
            return Opened(pygame.display.set_mode(size), None, driver)
        screen = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
        pygame.mouse.set_visible(False)
    except pygame.error as e:
        pygame.display.quit()
        raise ScreenError(str(e) or "no available video device") from None
    w, h = screen.get_size()
    want_portrait = display.orientation == "portrait"
    if display.orientation != "auto" and want_portrait != (h > w):
        # the monitor hangs turned by 90 degrees: draw the board upright and rotate each frame
        return Opened(screen, pygame.Surface((h, w)), driver)
    return Opened(screen, None, driver)


class Screen:
    """The display's screen over the day: ``poll()`` from the main loop says what changed.

    ``poll()`` returns ``"opened"`` when a screen has just been opened (first time or after the
    monitor came back: the caller builds its renderer on :attr:`opened`), ``"lost"`` when the
    monitor went away, or None. It never blocks longer than one open attempt.
    """

    def __init__(self, display, size: tuple[int, int] | None, *, windowed: bool = False,
                 sysfs: Path = DRM_SYSFS, retry_s: float = 5.0, watch_s: float = 2.0):
        self.display = display
        self.size = size
        self.windowed = windowed
        self.sysfs = sysfs
        self.retry_s = retry_s
        self.watch_s = watch_s
        self.state = WAITING
        self.opened: Opened | None = None
        self.opens = 0
        self.reason = ""
        self._next = 0.0
        self._warned = ""

    def _monitor(self) -> bool | None:
        if self.windowed:
            return None
        return monitor_present(connectors(self.sysfs))

    def poll(self, now: float) -> str | None:
        if now < self._next:
            return None
        present = self._monitor()
        if self.state == UP:
            self._next = now + self.watch_s
            if present is False:
                self.state = DISCONNECTED
                log.warning("the monitor went away (%s); the board comes back when it does",
                            self._describe())
                return "lost"
            return None
        self._next = now + (self.watch_s if present is False else self.retry_s)
        if present is False:
            self._wait("no monitor connected (" + self._describe() + ")")
            return None
        try:
            if self.opened is not None:
                import pygame
                pygame.display.quit()
                self.opened = None
            self.opened = open_screen(self.display, self.size, self.windowed)
        except ScreenError as e:
            self._wait(str(e))
            return None
        back = self.state == DISCONNECTED or self.opens > 0
        self.state = UP
        self.opens += 1
        self._warned = ""
        self.reason = ""
        w, h = self.opened.screen.get_size()
        log.info("screen %s: video driver %s, %dx%d%s", "back" if back else "open", self.opened.driver, w, h,
                 f" ({self._describe()})" if present else "")
        return "opened"

    def failed(self, error: Exception) -> None:
        """Drawing failed (the device went away under SDL): close and try again later."""
        log.warning("the screen failed (%s); trying to open it again", error)
        self.state = DISCONNECTED
        self._next = 0.0

    def _wait(self, reason: str) -> None:
        self.reason = reason
        if reason != self._warned:
            self._warned = reason
            log.warning("waiting for a screen: %s; trying again every %.0f s", reason, self.retry_s)

    def _describe(self) -> str:
        states = connectors(self.sysfs)
        return ", ".join(f"{k} {v}" for k, v in states.items()) or "no DRM connectors"
