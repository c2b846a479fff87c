"""The silent alarm's hardware on the controller's host: panic buttons, a lamp or buzzer, a command hook.

A GPIO panic button per counter (``[[desks]] panic_pin``) raises that desk's
alarm; gpiozero calls back on its own thread, which only hands the command to
the controller's queue. ``[alarm] output_pin`` is on while any alarm is active;
``[alarm] command`` runs (without waiting for it) when an alarm is raised, with
``{desk}`` replaced and ``AUFRUF_ALARM_DESK`` set. Both run after the ledger has
the alarm. The pin factory is passed in (gpiozero's ``MockFactory`` in tests).
"""

from __future__ import annotations

import logging
import os
import subprocess
from typing import Any, Callable

from aufruf.config import SiteConfig
from aufruf.errors import AufrufError

from .alarms import Alarm

log = logging.getLogger(__name__)


class AlarmHardwareError(AufrufError, OSError):
    """A panic button or the alarm lamp's GPIO pin cannot be opened (in use, no GPIO chip, no permission)."""


class AlarmIO:
    def __init__(self, cfg: SiteConfig, *, pin_factory: Any, raise_alarm: Callable[[str], None],
                 run: Callable[..., Any] = subprocess.Popen):
        from gpiozero import Button, DigitalOutputDevice
        self.cfg = cfg
        self._run = run
        self._children: list[Any] = []
        self.buttons: dict[str, Any] = {}
        self.output = None
        self.problem: str | None = None      # shown in the controller's status (a hook that cannot start)
        try:
            for d in cfg.desks:
                if d.panic_pin is not None:
                    b = Button(d.panic_pin, pull_up=True, pin_factory=pin_factory)
                    b.when_pressed = lambda _dev=None, desk=d.id: raise_alarm(desk)
                    self.buttons[d.id] = b
            if cfg.alarm.output_pin is not None:
                self.output = DigitalOutputDevice(cfg.alarm.output_pin, pin_factory=pin_factory)
        except Exception as e:  # noqa: BLE001 - gpiozero raises many kinds
            self.close()
            raise AlarmHardwareError(f"cannot open the alarm's GPIO pins ([[desks]] panic_pin, [alarm] output_pin): "
                                     f"{e}. Without GPIO, run with GPIOZERO_PIN_FACTORY=mock.") from None

    @staticmethod
    def needed(cfg: SiteConfig) -> bool:
        return any(d.panic_pin is not None for d in cfg.desks) or cfg.alarm.output_pin is not None \
            or bool(cfg.alarm.command)

    def on_alarm(self, event: str, alarm: Alarm, active: int) -> None:
        """The controller's worker, after the commit: lamp on while any alarm is active; the hook on a raise."""
        if self.output is not None:
            self.output.value = active > 0
        self._children = [c for c in self._children if c.poll() is None]
        if event != "raised" or not self.cfg.alarm.command:
            return
        argv = [a.replace("{desk}", alarm.desk) for a in self.cfg.alarm.command]
        try:
            self._children.append(self._run(argv, env={**os.environ, "AUFRUF_ALARM_DESK": alarm.desk},
                                            stdin=subprocess.DEVNULL))
            self.problem = None
        except OSError as e:
            self.problem = f"alarm command {argv[0]} failed: {e.strerror or e}"
            log.error("%s", self.problem)

    def close(self) -> None:
        for dev in [*self.buttons.values(), self.output]:
            if dev is not None:
                try:
                    dev.close()
                except Exception:  # noqa: BLE001
                    pass
        self.buttons, self.output = {}, None
