"""The kiosk's GPIO parts through gpiozero: a button per service, the status LED, the buzzer.

The pin factory is always passed in (gpiozero's ``MockFactory`` in tests and
the demo, ``lgpio`` on a Pi): nothing here relies on gpiozero's global
default. Button callbacks run on gpiozero's threads; they only hand a
timestamped event to the kiosk's queue.

LED: steady on = ready; slow blinking = a ticket is being requested/printed;
fast blinking = fault (no paper, printer offline, controller not answering,
broker unreachable); a short flash every 2 s = closed (no tickets now: opening
hours, last ticket, quota, closed by staff; docs/rules.md).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from aufruf.config import Kiosk
from aufruf.errors import AufrufError

READY = "ready"
BUSY = "busy"
FAULT = "fault"
OFF = "off"
CLOSED = "closed"
INFO = "?"          # the "what is being called now?" button's edges carry this instead of a service key
BLINK = {BUSY: (0.25, 0.25), FAULT: (0.08, 0.08), CLOSED: (0.1, 1.9)}

EdgeHandler = Callable[[str, str], None]     # (edge "press"/"release", service)
APPOINTMENT = "@appointment"                 # the "service" of the appointment button's edges


class PinFactoryError(AufrufError, ValueError):
    """``GPIOZERO_PIN_FACTORY`` names no installed gpiozero pin factory."""


def pin_factory_from_env() -> Any:
    """The pin factory gpiozero would pick (``GPIOZERO_PIN_FACTORY``, default lgpio), made explicitly."""
    from importlib.metadata import entry_points
    name = os.environ.get("GPIOZERO_PIN_FACTORY", "lgpio").strip().lower()
    eps = {e.name: e for e in entry_points(group="gpiozero_pin_factories")}
    if name not in eps:
        raise PinFactoryError(f"unknown GPIOZERO_PIN_FACTORY {name!r}; allowed: {', '.join(sorted(eps))}")
    return eps[name].load()()


class Panel:
    """Buttons, LED and buzzer of one kiosk."""

    def __init__(self, kiosk: Kiosk, pin_factory: Any, on_edge: EdgeHandler):
        from gpiozero import LED, Button, Buzzer
        self.buttons: dict[str, Any] = {}
        self.mode: str | None = None
        self.led = self.buzzer = None
        try:
            for b in kiosk.buttons:
                btn = Button(b.pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                btn.when_pressed = lambda _d=None, s=b.service: on_edge("press", s)
                btn.when_released = lambda _d=None, s=b.service: on_edge("release", s)
                self.buttons[b.service] = btn
            if kiosk.appointment_pin is not None:   # press, then type the invitation's code on the keypad
                btn = Button(kiosk.appointment_pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                btn.when_pressed = lambda _d=None: on_edge("press", APPOINTMENT)
                self.buttons[APPOINTMENT] = btn
            if kiosk.info_pin is not None:
                btn = Button(kiosk.info_pin, pull_up=True, bounce_time=None, pin_factory=pin_factory)
                btn.when_pressed = lambda _d=None: on_edge("press", INFO)
                btn.when_released = lambda _d=None: on_edge("release", INFO)
                self.buttons[INFO] = btn
            if kiosk.led_pin is not None:
                self.led = LED(kiosk.led_pin, pin_factory=pin_factory)
            if kiosk.buzzer_pin is not None:
                self.buzzer = Buzzer(kiosk.buzzer_pin, pin_factory=pin_factory)
        except Exception:
            self.close()
            raise

    def show(self, mode: str) -> None:
        """Set the LED to ``ready``, ``busy``, ``fault``, ``closed`` or ``off`` (no-op when unchanged)."""
        if mode == self.mode:
            return
        if self.led is not None:
            if mode == READY:
                self.led.on()
            elif mode in BLINK:
                on, off = BLINK[mode]
                self.led.blink(on_time=on, off_time=off, background=True)
            else:
                self.led.off()
        self.mode = mode          # set last: whoever sees the mode sees the LED in it

    def beep(self, times: int = 1) -> None:
        """Short beeps in the background (a press was taken: 1; refused: 3)."""
        if self.buzzer is not None:
            self.buzzer.beep(on_time=0.08, off_time=0.08, n=times, background=True)

    def close(self) -> None:
        """Release every pin (a later Panel on the same pins would otherwise fail)."""
        for dev in [*self.buttons.values(), self.led, self.buzzer]:
            if dev is not None:
                try:
                    dev.close()
                except Exception:  # noqa: BLE001
                    pass
        self.buttons = {}
        self.led = self.buzzer = None
