"""USB keypads at the counters, read through evdev: one keypad per desk.

:class:`KeyDecoder` is the pure part (key names -> desk commands, with the digit
buffer for "call number"); :class:`KeypadReader` is the thin adapter that opens
``/dev/input/by-id/...`` or ``/dev/input/by-path/...``, grabs the device (so
keystrokes do not reach the console), and reopens it after it was unplugged,
without a restart. :func:`input_devices` lists the event devices under both
names for ``aufruf keypads``.

Identical cheap keypads report no serial number, so they share one by-id name
(udev points it at whichever came last) and only one counter would work: name
those by their USB port instead, ``/dev/input/by-path/...-usb-0:1.2:1.0-event-kbd``
(the same port keeps the same name; a keypad moved to another port changes it).

Default keymap (numeric keypad; NumLock on or off both work):

==========================  =========================================
key                         action
==========================  =========================================
Enter, +                    next (Enter after digits: call that number)
. (Del)                     recall
-                           no-show
/                           done
*                           pause / resume
0-9                         digits of a number of the desk's first service
Backspace                   clear the digits
==========================  =========================================
"""

from __future__ import annotations

import logging
import os
import select
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

log = logging.getLogger(__name__)

DEFAULT_KEYMAP: dict[str, str] = {
    "KEY_KPENTER": "next", "KEY_ENTER": "next", "KEY_KPPLUS": "next",
    "KEY_KPDOT": "recall", "KEY_DELETE": "recall", "KEY_KPCOMMA": "recall",
    "KEY_KPMINUS": "noshow", "KEY_MINUS": "noshow",
    "KEY_KPSLASH": "done", "KEY_SLASH": "done",
    "KEY_KPASTERISK": "pause_resume",
    "KEY_BACKSPACE": "clear", "KEY_ESC": "clear",
    "KEY_NUMLOCK": "ignore",
    # digits with NumLock on, with NumLock off (navigation keys), and the top row
    "KEY_KP0": "0", "KEY_KP1": "1", "KEY_KP2": "2", "KEY_KP3": "3", "KEY_KP4": "4",
    "KEY_KP5": "5", "KEY_KP6": "6", "KEY_KP7": "7", "KEY_KP8": "8", "KEY_KP9": "9",
    "KEY_INSERT": "0", "KEY_END": "1", "KEY_DOWN": "2", "KEY_PAGEDOWN": "3", "KEY_LEFT": "4",
    "KEY_RIGHT": "6", "KEY_HOME": "7", "KEY_UP": "8", "KEY_PAGEUP": "9",
    "KEY_0": "0", "KEY_1": "1", "KEY_2": "2", "KEY_3": "3", "KEY_4": "4",
    "KEY_5": "5", "KEY_6": "6", "KEY_7": "7", "KEY_8": "8", "KEY_9": "9",
}
ENTER_KEYS = ("KEY_KPENTER", "KEY_ENTER")


PAUSE_RESUME = "pause_resume"   # the * key: pause or resume, decided by the controller's worker


@dataclass(frozen=True)
class KeyCommand:
    """What a keypad asks of its desk: a protocol action (or :data:`PAUSE_RESUME`), with a number for ``call``."""

    desk: str
    action: str
    number: str | None = None


class KeyDecoder:
    """Turns key presses of one desk's keypad into :class:`KeyCommand` values, or None.

    It knows nothing of the desk's state: the controller's worker, which owns that
    state, turns :data:`PAUSE_RESUME` into ``pause`` or ``resume``.
    """

    def __init__(self, desk: str, first_service: str, keymap: dict[str, str] | None = None):
        self.desk = desk
        self.first_service = first_service
        self.keymap = {**DEFAULT_KEYMAP, **(keymap or {})}
        self.digits = ""

    def press(self, key: str) -> KeyCommand | None:
        """One key-down; returns the command to send, if the key completes one."""
        action = self.keymap.get(key)
        if action is None or action == "ignore":
            return None
        if action.isdigit():
            if len(self.digits) < 3:
                self.digits += action
            else:
                log.warning("desk %s keypad: more than 3 digits, cleared", self.desk)
                self.digits = ""
            return None
        if action == "clear":
            self.digits = ""
            return None
        if self.digits and (key in ENTER_KEYS or action == "call"):
            number = f"{self.first_service}{int(self.digits):03d}"
            self.digits = ""
            return self._cmd("call", number=number)
        self.digits = ""
        if action == "call":
            return None
        return self._cmd(action)

    def _cmd(self, action: str, number: str | None = None) -> KeyCommand:
        return KeyCommand(self.desk, action, number)


def _have_evdev() -> bool:
    """Whether the 'keypad' extra is installed (the demo and laptops go without it)."""
    try:
        import evdev  # noqa: F401
    except ImportError:
        return False
    return True


class KeypadReader:
    """Reads one keypad device on its own thread; reopens it after an unplug."""

    def __init__(self, device: str, decoder: KeyDecoder, emit: Callable[[KeyCommand], None],
                 retry_s: float = 2.0, opener: Callable[[str], object] | None = None):
        self.device = device
        self.decoder = decoder
        self.emit = emit
        self.retry_s = retry_s
        self._opener = opener
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.opened = 0
        self.attempts = 0
        self.connected = threading.Event()
        self.unavailable: str | None = None    # why keypads cannot work at all on this machine
        if opener is None and not _have_evdev():
            self.unavailable = "evdev is not installed (pip install 'aufruf[keypad]')"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"keypad-{self.decoder.desk}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(5)

    @property
    def state(self) -> str:
        """ok / missing (not plugged in) / unavailable (no evdev on this machine)."""
        return "unavailable" if self.unavailable else "ok" if self.connected.is_set() else "missing"

    def handle_event(self, event) -> None:
        """One evdev InputEvent: key-downs (EV_KEY, value 1) are decoded, the rest ignored."""
        from evdev import ecodes
        if event.type != ecodes.EV_KEY or event.value != 1:
            return
        name = ecodes.KEY.get(event.code)
        if isinstance(name, list):
            name = next((n for n in name if n in self.decoder.keymap), name[0])
        if not name:
            return
        cmd = self.decoder.press(name)
        if cmd is not None:
            self.emit(cmd)

    def _open(self):
        if self._opener is not None:
            return self._opener(self.device)
        from evdev import InputDevice
        return InputDevice(self.device)

    def _run(self) -> None:
        missing_logged = False
        if self.unavailable:
            log.error("keypad of desk %s unavailable: %s", self.decoder.desk, self.unavailable)
            return
        while not self._stop.is_set():
            self.attempts += 1
            try:
                dev = self._open()
            except ImportError:
                self.unavailable = "evdev is not installed (pip install 'aufruf[keypad]')"
                log.error("keypad of desk %s unavailable: %s", self.decoder.desk, self.unavailable)
                return
            except OSError as e:
                if not missing_logged:
                    log.warning("keypad of desk %s not available at %s (%s); waiting for it",
                                self.decoder.desk, self.device, e.strerror or e)
                    missing_logged = True
                self._stop.wait(self.retry_s)
                continue
            missing_logged = False
            self.opened += 1
            try:
                try:
                    dev.grab()
                except OSError:
                    log.warning("keypad of desk %s: cannot grab %s; keys also reach the console",
                                self.decoder.desk, self.device)
                log.info("keypad of desk %s ready: %s", self.decoder.desk, self.device)
                self.connected.set()
                self.decoder.digits = ""
                while not self._stop.is_set():
                    r, _, _ = select.select([dev.fd], [], [], 0.5)
                    if r:
                        for ev in dev.read():
                            try:
                                self.handle_event(ev)
                            except Exception:  # noqa: BLE001 - one bad key must not end the reader
                                log.exception("keypad of desk %s: a key could not be handled", self.decoder.desk)
            except OSError as e:
                log.warning("keypad of desk %s unplugged (%s); waiting for it to return",
                            self.decoder.desk, e.strerror or e)
            finally:
                self.connected.clear()
                try:
                    dev.close()
                except Exception:  # noqa: BLE001 - the device is gone already
                    pass


# ---------------------------------------------------------------- listing (aufruf keypads)

INPUT_DIR = Path("/dev/input")


@dataclass
class InputNode:
    """One event device and the stable names udev made for it."""

    event: str                                       # /dev/input/event3
    by_id: list[str] = field(default_factory=list)   # /dev/input/by-id/usb-...-event-kbd
    by_path: list[str] = field(default_factory=list)  # /dev/input/by-path/...-usb-0:1.2:1.0-event-kbd

    @property
    def names(self) -> list[str]:
        return [*self.by_id, *self.by_path, self.event]


def input_devices(root: Path = INPUT_DIR) -> list[InputNode]:
    """Every ``event*`` device below ``root`` with its by-id and by-path links, in event order."""
    nodes: dict[str, InputNode] = {}
    try:
        for e in root.iterdir():
            if e.name.startswith("event"):
                nodes[str(e)] = InputNode(str(e))
    except OSError:
        return []
    for kind in ("by-id", "by-path"):
        try:
            links = sorted((root / kind).iterdir())
        except OSError:
            continue
        for link in links:
            if not link.name.endswith(("-event-kbd", "-event-mouse", "-event-joystick")) and "-event" not in link.name:
                continue
            target = os.path.normpath(os.path.join(link.parent, os.readlink(link))) if link.is_symlink() else str(link)
            node = nodes.get(target)
            if node is not None:
                (node.by_id if kind == "by-id" else node.by_path).append(str(link))
    return sorted(nodes.values(), key=lambda n: (len(n.event), n.event))


def configured_desk(node: InputNode, keypads, root: Path = INPUT_DIR) -> tuple[str, str] | None:
    """(desk, the name the site file uses) when a ``[[keypads]]`` entry names this device."""
    for k in keypads:
        if k.device in node.names:
            return k.desk, k.device
        if k.device.startswith(str(root)) and os.path.realpath(k.device) == os.path.realpath(node.event):
            return k.desk, k.device
    return None
