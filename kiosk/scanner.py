"""A USB barcode/QR scanner at the kiosk: a keyboard device that types the invitation's code.

:class:`ScanDecoder` is the pure part: evdev key names (with Shift) become
characters, Enter ends a scan; a scan with keys that can't be in a code
(garbage), longer than :data:`MAX_CHARS`, or cut off (no Enter within
``gap_s`` after the last key: a half code) is rejected with the reason and
never sent. Key codes are read as a scanner set to the US keyboard layout
(most scanners' factory default) sends them: with a German layout setting, Y
and Z would come swapped. :class:`ScannerReader` is the thin adapter that opens
``/dev/input/by-id/...``, grabs it (the code must not reach the console),
and reopens it after an unplug, without a restart. It runs on its own thread
and only hands finished scans to the kiosk's worker (``emit``).
"""

from __future__ import annotations

import logging
import select
import threading
import time
from dataclasses import dataclass
from typing import Callable

log = logging.getLogger(__name__)

MAX_CHARS = 64
GAP_S = 1.0            # scanners type a whole code in milliseconds; a pause this long cuts it off
SHIFT_KEYS = ("KEY_LEFTSHIFT", "KEY_RIGHTSHIFT")
ENTER_KEYS = ("KEY_ENTER", "KEY_KPENTER")
CLEAR_KEYS = ("KEY_BACKSPACE", "KEY_ESC", "KEY_DELETE", "KEY_KPDOT")
KEYPAD_GAP_S = 30.0    # a person typing a code on the kiosk's keypad: a pause this long drops the half code
IGNORED_KEYS = ("KEY_NUMLOCK", "KEY_CAPSLOCK", "KEY_LEFTCTRL", "KEY_RIGHTCTRL", "KEY_LEFTALT", "KEY_RIGHTALT")


def _chars() -> dict[str, str]:
    m = {f"KEY_{c}": c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    m.update({f"KEY_{d}": d for d in "0123456789"})
    m.update({f"KEY_KP{d}": d for d in "0123456789"})
    m.update({"KEY_MINUS": "-", "KEY_KPMINUS": "-"})   # key codes as a scanner set to the US layout sends them
    return m


CHARS = _chars()


@dataclass(frozen=True)
class Scan:
    """A finished scan: ``code`` (as typed) or ``error`` (the reason it is not sent)."""

    code: str | None = None
    error: str | None = None


class ScanDecoder:
    """Key events of one scanner -> finished scans. Times are seconds of a monotonic clock."""

    def __init__(self, gap_s: float = GAP_S):
        self.gap_s = gap_s
        self.buffer = ""
        self.bad: str | None = None
        self.shift = False
        self.last_key: float | None = None

    def key(self, name: str, value: int, t: float) -> Scan | None:
        """One key event (value 1 down, 0 up, 2 repeat); returns a scan when Enter ends one."""
        if name in SHIFT_KEYS:
            self.shift = value != 0
            return None
        if value != 1 or name in IGNORED_KEYS:
            return None
        cut = self.tick(t)
        self.last_key = t
        if name in ENTER_KEYS:
            return cut or self._finish()
        if name in CLEAR_KEYS:             # a person typing on a keypad corrects a mistake
            self.buffer, self.bad = "", None
            return cut
        ch = CHARS.get(name)
        if ch is None:
            if self.bad is None:
                self.bad = f"the scanner sent {name}, which is not part of a code"
        elif len(self.buffer) >= MAX_CHARS:
            if self.bad is None:
                self.bad = f"the scan is longer than {MAX_CHARS} characters"
        else:
            self.buffer += ch
        return cut

    def tick(self, t: float) -> Scan | None:
        """A scan cut off without Enter (``gap_s`` after its last key) is rejected as a half code."""
        if self.last_key is not None and (self.buffer or self.bad) and t - self.last_key > self.gap_s:
            self._reset()
            return Scan(error="half a code (no Enter from the scanner): scan again")
        return None

    def _finish(self) -> Scan | None:
        buffer, bad = self.buffer, self.bad
        self._reset()
        if bad:
            return Scan(error=bad)
        if not buffer:
            return None                        # a lone Enter: nothing scanned
        return Scan(code=buffer)

    def _reset(self) -> None:
        self.buffer, self.bad, self.last_key = "", None, None


class ScannerReader:
    """Reads one scanner device on its own thread; reopens it after an unplug."""

    def __init__(self, device: str, emit: Callable[[Scan], None], retry_s: float = 2.0,
                 opener: Callable[[str], object] | None = None, gap_s: float = GAP_S,
                 clock: Callable[[], float] = time.monotonic, on_change: Callable[[bool], None] | None = None):
        self.device = device
        self.decoder = ScanDecoder(gap_s)
        self.emit = emit
        self.retry_s = retry_s
        self.clock = clock
        self._opener = opener
        self.on_change = on_change      # called with True when the device is open, False when it is gone
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.opened = 0
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    def handle_event(self, event) -> None:
        """One evdev InputEvent (EV_KEY only)."""
        from evdev import ecodes
        if event.type != ecodes.EV_KEY:
            return
        name = ecodes.KEY.get(event.code)
        if isinstance(name, list):
            name = next((n for n in name if n in CHARS or n in ENTER_KEYS or n in SHIFT_KEYS), name[0])
        if not name:
            return
        self._emit(self.decoder.key(name, event.value, self.clock()))

    def _changed(self, up: bool) -> None:
        if self.on_change is not None:
            self.on_change(up)

    def _emit(self, scan: Scan | None) -> None:
        if scan is not None:
            self.emit(scan)

    def _open(self):
        if self._opener is not None:
            return self._opener(self.device)
        from evdev import InputDevice
        return InputDevice(self.device)

    def _run(self) -> None:
        missing_logged = False
        while not self._stop.is_set():
            try:
                dev = self._open()
            except OSError as e:
                if not missing_logged:
                    log.warning("scanner not available at %s (%s); waiting for it", self.device, e.strerror or e)
                    missing_logged = True
                self._stop.wait(self.retry_s)
                continue
            missing_logged = False
            self.opened += 1
            try:
                try:
                    dev.grab()
                except OSError:
                    log.warning("scanner: cannot grab %s; codes also reach the console", self.device)
                log.info("scanner ready: %s", self.device)
                self.decoder = ScanDecoder(self.decoder.gap_s)   # a half scan from before the unplug is gone
                self.connected.set()
                self._changed(True)
                while not self._stop.is_set():
                    r, _, _ = select.select([dev.fd], [], [], 0.2)
                    if r:
                        for ev in dev.read():
                            self.handle_event(ev)
                    self._emit(self.decoder.tick(self.clock()))
            except OSError as e:
                log.warning("scanner unplugged (%s); waiting for it to return", e.strerror or e)
            finally:
                self.connected.clear()
                self._changed(False)
                try:
                    dev.close()
                except Exception:  # noqa: BLE001 - the device is gone already
                    pass
