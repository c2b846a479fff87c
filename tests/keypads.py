"""The one keypad fake of the suite: a device for :class:`desk.keypad.KeypadReader`'s opener."""

from __future__ import annotations

import os
import threading
import time


class PluggableKeypad:
    """A keypad device for :class:`desk.keypad.KeypadReader`'s opener, fed with real ``evdev.InputEvent``s.

    It has a real file descriptor (a pipe) so the reader's ``select`` works as on
    ``/dev/input``; unplugging makes ``read()`` raise ENODEV like the kernel
    does, and opening fail with ENOENT until it is plugged in again.
    """

    def __init__(self):
        self.plugged = True
        self.opened: list["PluggableKeypad.Device"] = []
        self.by_path: dict[str, "PluggableKeypad.Device"] = {}     # the last device opened at each path

    class Device:
        def __init__(self, owner: "PluggableKeypad"):
            self.owner = owner
            self._r, self._w = os.pipe()
            self.fd = self._r
            self.events: list = []
            self.lock = threading.Lock()

        def grab(self) -> None:
            pass

        def feed(self, events: list) -> None:
            with self.lock:
                self.events.extend(events)
            os.write(self._w, b"x")

        def read(self):
            os.read(self._r, 4096)
            if not self.owner.plugged:
                raise OSError(19, "No such device")
            with self.lock:
                out, self.events = self.events, []
            return out

        def close(self) -> None:
            for fd in (self._r, self._w):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def open(self, path: str) -> "PluggableKeypad.Device":
        if not self.plugged:
            raise OSError(2, "No such file or directory", path)
        dev = PluggableKeypad.Device(self)
        self.opened.append(dev)
        self.by_path[path] = dev
        return dev


def keystrokes(*keys: str, last_up: bool = True) -> list:
    """Key-down, key-up and SYN events as the kernel sends them for a sequence of keys."""
    from evdev import InputEvent, ecodes
    t = time.time()
    out = []
    for i, k in enumerate(keys):
        code = ecodes.ecodes[k]
        out += [InputEvent(int(t), i, ecodes.EV_KEY, code, 1), InputEvent(int(t), i, ecodes.EV_SYN, 0, 0)]
        if last_up or i < len(keys) - 1:
            out += [InputEvent(int(t), i, ecodes.EV_KEY, code, 0), InputEvent(int(t), i, ecodes.EV_SYN, 0, 0)]
    return out
