"""The appointment slip: what the kiosk prints after a check-in with an invitation code.

Built from the controller's answer as a :class:`kiosk.ticket_layout.Layout`,
so it prints (and previews) like a ticket. Checked in: the appointment's own
number, large, its time and where to go or wait. Too early: from when the
check-in opens. Too late (without a ticket): to ask at the info desk. A code
the controller refused (unknown, cancelled, already used, another day): a
short note saying so, without a number. Never a name: the controller knows none.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from typing import Any
from zoneinfo import ZoneInfo

from aufruf.config import Kiosk, SiteConfig
from aufruf.protocol import CheckinReply

from . import ticket_layout as tl
from .ticket_layout import Cut, Gap, Layout, Line

TEXTS: dict[str, dict[str, str]] = {
    "de": {"title": "Ihr Termin", "at": "Termin um {time} Uhr", "wait": "Bitte warten Sie, Sie werden aufgerufen.",
           "floor_room": "Bitte gehen Sie in den {floor}. Stock, Raum {room}.",
           "room": "Bitte gehen Sie zu Raum {room}.",
           "early": "Sie können ab {from_} Uhr einchecken.", "late": "Die Zeit für den Check-in ist vorbei.",
           "ask": "Bitte melden Sie sich an der Information.",
           "unknown": "Dieser Code ist nicht bekannt.", "cancelled": "Dieser Termin wurde abgesagt.",
           "used": "Mit diesem Code wurde bereits eingecheckt.", "other_day": "Ihr Termin ist an einem anderen Tag.",
           "invalid": "Der Code konnte nicht gelesen werden."},
    "en": {"title": "Your appointment", "at": "Appointment at {time}", "wait": "Please wait, you will be called.",
           "floor_room": "Please go to floor {floor}, room {room}.", "room": "Please go to room {room}.",
           "early": "You can check in from {from_}.", "late": "The time to check in has passed.",
           "ask": "Please ask at the information desk.",
           "unknown": "This code is not known.", "cancelled": "This appointment was cancelled.",
           "used": "This code has already been used to check in.",
           "other_day": "Your appointment is on another day.", "invalid": "The code could not be read."},
}
NUMBER = Line("{number}")    # placeholder for the big number, sized to fit the paper
REFUSALS_PRINTED = ("unknown", "cancelled", "used", "other_day")


def texts(lang: str) -> dict[str, str]:
    return TEXTS.get(lang, TEXTS["en"])


def where_line(lang: str, a: CheckinReply) -> str:
    t = texts(lang)
    if a.room and a.floor:
        return t["floor_room"].format(floor=a.floor, room=a.room)
    if a.room:
        return t["room"].format(room=a.room)
    return t["wait"]


def _wrap_place(text: str, width: int, bold: bool) -> list[Line]:
    """Wrapped lines that never split "Raum 2.14" or "2. Stock" (kept together while wrapping)."""
    glued = re.sub(r"(\d+\.|Raum|room|floor) (\S+)", lambda m: f"{m.group(1)}\xa0{m.group(2)}", text)
    return [Line(t.replace("\xa0", " "), bold=bold) for t in (textwrap.wrap(glued, width) or [""])]


def print_slip(printer: Any, cfg: SiteConfig, reply: CheckinReply, now_ms: int) -> bytes:
    """Print a slip on a :class:`kiosk.printer.PrinterPort` at the info desk (``aufruf appointments checkin
    --print``); the printer is checked first (paper out or offline: PrintError, nothing printed)."""
    from aufruf.config import Printer

    from .printer import CAN_PRINT, PrintError
    spec = printer.spec if printer.spec is not None else Printer()
    state = printer.check()
    if state not in CAN_PRINT:
        raise PrintError(f"printer {state}")
    layout = build(cfg, Kiosk(id="info", buttons=(), printer=spec), reply, tl.load_profile(printer.profile_name),
                   now_ms)
    raw = tl.escpos_bytes(layout, printer.profile_name)
    printer.print_bytes(raw)
    return raw


def build(cfg: SiteConfig, kiosk: Kiosk, reply: CheckinReply, profile: Any, now_ms: int) -> Layout:
    """The slip for a check-in answer (a :class:`~aufruf.protocol.CheckinReply`)."""
    width = kiosk.printer.width_chars
    langs = cfg.languages
    when = dt.datetime.fromtimestamp(now_ms / 1000, ZoneInfo(cfg.timezone))
    els: list = [*tl._wrap(cfg.name, width, bold=True)]
    first = tl.texts(langs[0])

    def each(key: str, **kw: str) -> None:
        for i, lang in enumerate(langs):
            text = texts(lang)[key].format(**kw)
            if i == 0 or text != texts(langs[0])[key].format(**kw):
                els.extend(tl._wrap(text, width, bold=(i == 0)))

    if not reply.ok:
        refusal = reply.refusal or "invalid"
        each(refusal if refusal in TEXTS["en"] else "invalid")
        each("ask")
    else:
        a = reply
        each("title")
        each("at", time=a.time)
        if a.result == "checked_in":
            els.append(Gap(8))
            els.append(NUMBER)
            els.append(Gap(8))
            for i, lang in enumerate(langs):
                els.extend(_wrap_place(where_line(lang, a), width, bold=(i == 0)))
        elif a.result == "early":
            each("early", from_=a.opens)
        else:
            each("late")
            each("ask")
    els += [Gap(8), Line(when.strftime(first["date"])), Cut(tl.has_cutter(profile))]
    codepage = tl.choose_codepage(profile)
    if NUMBER not in els:
        return Layout(tuple(els), width, codepage)
    number = reply.number
    layout = None
    for size in tl.NUMBER_SIZES:         # the largest number that keeps the slip within the ticket's paper
        big = Line(number, bold=True, width=min(size, max(1, width // len(number))), height=size)
        layout = Layout(tuple(big if e is NUMBER else e for e in els), width, codepage)
        if tl.paper_mm(layout) <= tl.MAX_PAPER_MM:
            break
    return layout
