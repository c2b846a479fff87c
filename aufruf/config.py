"""The site config: one TOML file describes the whole site; every process reads it.

Loading checks the file against the schema below plus cross-field rules
(a desk serving an unknown service, a pin used twice, ...) and reports EVERY
problem at once, each naming the file, the key path, what is wrong and what
is allowed. Nothing here imports hardware libraries.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import texts as _texts
from .errors import ConfigError
from .protocol import ID_RE

SERVICE_KEY_RE = re.compile(r"^[A-Z]$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
KEY_NAME_RE = re.compile(r"^KEY_[A-Z0-9_]+$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PRINTER_CONNECTIONS = ("usb", "serial", "network", "file", "dummy")
KEYPAD_ACTIONS = ("next", "recall", "noshow", "done", "pause", "resume", "pause_resume",
                  "call", "clear", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "ignore")
RESERVED_KIOSK_IDS = ("info",)
EXAMPLE_SITE = Path(__file__).resolve().parent / "data" / "site.toml"
DEFAULT_PATH = "/etc/aufruf/site.toml"   # every command's --config default (the README copies the example here)


# ---------------------------------------------------------------- value objects

@dataclass(frozen=True)
class Service:
    key: str
    names: dict[str, str]
    first: int = 1
    last: int = 999
    default_service_min: float = 5.0
    last_ticket: dt.time | None = None       # no ticket after this local time (docs/rules.md)
    quota: int | None = None                 # at most this many tickets a day
    capacity_stop: bool = False              # stop when the open desks cannot serve the waiting before closing

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()))


@dataclass(frozen=True)
class Desk:
    id: str
    labels: dict[str, str]
    services: tuple[str, ...]
    panic_pin: int | None = None             # a GPIO panic button of this counter, on the controller's host
    floor: str | None = None     # where an upstairs room is ("2" -> "2. Stock"), for appointment slips
    room: str | None = None      # a room label ("2.14"), shown on the board as "Raum 2.14"

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or next(iter(self.labels.values()))


@dataclass(frozen=True)
class Printer:
    connection: str = "dummy"
    profile: str | None = None
    vendor_id: int | None = None
    product_id: int | None = None
    device: str | None = None
    baudrate: int = 19200
    host: str | None = None
    port: int = 9100
    path: str | None = None
    timeout_s: float = 3.0
    width_chars: int = 42
    check_status: bool = True
    dpi: int | None = None          # None: the profile's (TM-T88: 180), else 203


@dataclass(frozen=True)
class Button:
    service: str
    pin: int


@dataclass(frozen=True)
class Kiosk:
    id: str
    buttons: tuple[Button, ...]
    printer: Printer
    led_pin: int | None = None
    buzzer_pin: int | None = None
    min_gap_s: float = 2.0
    hold_test_s: float = 5.0
    request_timeout_s: float = 3.0
    late_print_s: float = 60.0
    footer: dict[str, str] = field(default_factory=dict)
    qr_url: str | None = None
    scanner: str | None = None   # a barcode/QR scanner (a keyboard device) for appointment codes
    code_keypad: str | None = None   # a small keypad to type an appointment code on (a keyboard device)
    appointment_pin: int | None = None   # the "appointment" button: press it, then type the code
    ticket_languages: tuple[str, ...] = ()      # empty: every site language
    speaker: bool = False                       # a speaker on the kiosk Pi says the drawn number
    speech_languages: tuple[str, ...] = ()      # empty: the site's first language
    info_pin: int | None = None                 # the "what is being called now?" button


@dataclass(frozen=True)
class Display:
    id: str
    orientation: str = "auto"
    size: tuple[int, int] | None = None
    chime: bool = True
    speech: bool = True
    history: int = 8
    highlight_s: float = 8.0
    min_call_s: float = 15.0
    notices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    audio_device: str | None = None     # "hdmi", "hdmi2", "jack" or an ALSA device name; None: ALSA's default
    languages: tuple[str, ...] = ()             # board languages in order; empty: the site's
    speech_languages: tuple[str, ...] = ()      # spoken languages in order; empty: the board's
    repeat: int = 1                             # how often each call is spoken
    rotate_s: float = 8.0                       # a secondary language this long, then the next
    viewing_distance_m: float | None = None     # the farthest seat: the number's height follows
    diagonal_in: float | None = None            # the screen's diagonal in inches (for that check)


@dataclass(frozen=True)
class Keypad:
    desk: str
    device: str
    keymap: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Broker:
    host: str = "localhost"
    port: int = 1883
    credentials_dir: str = "/etc/aufruf/credentials"
    tls: bool = False
    ca_file: str | None = None
    mqtt_version: int = 5
    keepalive_s: int = 30


@dataclass(frozen=True)
class Web:
    """One ``aufruf web`` server: the board and ticket pages for browsers and phones."""

    id: str
    host: str
    port: int
    public_url: str
    tls_cert: str | None = None
    tls_key: str | None = None
    max_clients: int = 1000
    staff_idle_min: int = 30           # a signed-in counter panel or office view ends after this idle time
    wait_alert_min: int = 30           # the office view alerts when a service's longest wait passes this
    central: bool = False              # served by a central ``aufruf web --central`` over the bridge

    def ticket_url(self) -> str:
        """The ticket page template the kiosk prints as a QR code ({number}, {key})."""
        return self.public_url.rstrip("/") + "/t/{number}-{key}"


@dataclass(frozen=True)
class InfoDesk:
    printer: Printer | None = None
    priority: bool = False


@dataclass(frozen=True)
class Issuing:
    """When tickets are issued (docs/rules.md)."""

    within_hours: bool = False               # refuse tickets outside site.opening_hours and on closed days
    closed_slip: dict[str, str] = field(default_factory=dict)   # printed on a press while closed (empty: nothing)
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)  # staff's reasons to close: key -> texts


@dataclass(frozen=True)
class Alarm:
    """The silent alarm (docs/rules.md)."""

    keypad_key: str | None = "KEY_KP0"       # held ``hold_s`` on a counter's keypad raises its alarm
    hold_s: float = 2.0
    output_pin: int | None = None            # a lamp or buzzer on the controller's host while an alarm is active
    command: tuple[str, ...] = ()            # run on the controller when an alarm is raised ({desk} replaced)


@dataclass(frozen=True)
class Appointments:
    """``[appointments]``: check-in windows, the number series and how desks call them."""

    series: str = "T"
    early_min: int = 30
    late_min: int = 10
    late_service: str | None = None   # a late customer gets a normal ticket of this service (None: refused)
    prefer: bool = True               # ``next`` calls a due appointment before walk-ins
    drop_dir: str | None = None       # CSV files put here are imported by the controller


@dataclass(frozen=True)
class SiteConfig:
    path: str
    site_id: str
    name: str
    languages: tuple[str, ...]
    timezone: str
    day_starts: dt.time
    opening_hours: dict[str, tuple[tuple[dt.time, dt.time], ...]] | None
    services: tuple[Service, ...]
    desks: tuple[Desk, ...]
    kiosks: tuple[Kiosk, ...]
    displays: tuple[Display, ...]
    keypads: tuple[Keypad, ...]
    broker: Broker
    info_desk: InfoDesk
    announcements: dict[str, str]
    retention_days: int = 30
    eta_window: int = 20
    webs: tuple[Web, ...] = ()
    closed_days: frozenset[dt.date] = frozenset()
    issuing: Issuing = field(default_factory=Issuing)
    alarm: Alarm = field(default_factory=Alarm)
    appointments: Appointments | None = None
    lang_dir: str | None = None        # the office's own text catalogues (override or add languages)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def service(self, key: str) -> Service | None:
        return next((s for s in self.services if s.key == key), None)

    def desk(self, desk_id: str) -> Desk | None:
        return next((d for d in self.desks if d.id == desk_id), None)

    def kiosk(self, kiosk_id: str) -> Kiosk | None:
        return next((k for k in self.kiosks if k.id == kiosk_id), None)

    def display(self, display_id: str) -> Display | None:
        return next((d for d in self.displays if d.id == display_id), None)

    def web(self, web_id: str) -> Web | None:
        return next((w for w in self.webs if w.id == web_id), None)

    def unknown(self, kind: str, device_id: str) -> str:
        """The message for a device id the site file does not have (kind: 'kiosk', 'display' or 'web')."""
        known = [d.id for d in {"kiosk": self.kiosks, "display": self.displays, "web": self.webs}[kind]]
        return f"{self.path}: no {kind} '{device_id}' in [[{kind}s]]; configured: {', '.join(known) or 'none'}"

    def service_day(self, at_ms: int) -> str:
        """The service day (ISO date) a moment belongs to: the local date, shifted by the day boundary."""
        local = dt.datetime.fromtimestamp(at_ms / 1000, self.tz)
        boundary = dt.timedelta(hours=self.day_starts.hour, minutes=self.day_starts.minute)
        return (local - boundary).date().isoformat()

    def is_open(self, at: dt.datetime) -> bool:
        """Whether the office is open at a local time (always, without opening hours)."""
        local = at.astimezone(self.tz)
        if local.date() in self.closed_days:
            return False
        if self.opening_hours is None:
            return True
        spans = self.opening_hours.get(WEEKDAYS[local.weekday()], ())
        t = local.time()
        return any(a <= t < b for a, b in spans)


# ---------------------------------------------------------------- checking

class _Checker:
    """Collects problems while walking the raw TOML tables."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[str] = []
        # site.languages is wrong or misspelt: already one problem; texts in other languages are
        # then not a problem of their own (one typo, one problem)
        self.languages_unsure = False

    def bad(self, key: str, what: str) -> None:
        self.problems.append(f"{key}: {what}")

    def table(self, raw: Any, key: str) -> dict:
        if not isinstance(raw, dict):
            self.bad(key, f"must be a table, got {_kind(raw)}")
            return {}
        return raw

    def keys(self, raw: dict, key: str, allowed: tuple[str, ...]) -> None:
        for k in raw:
            if k not in allowed:
                import difflib  # only for a misspelt key: not loaded by every device at start
                hint = difflib.get_close_matches(k, allowed, n=1)
                sug = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.bad(_join(key, k), f"unknown key{sug}; allowed: {', '.join(allowed)}")

    def get(self, raw: dict, key: str, name: str, check: Callable[[Any], str | None],
            allowed: str, default: Any = None, required: bool = False) -> Any:
        full = _join(key, name)
        if name not in raw:
            if required:
                self.bad(full, f"is required; allowed: {allowed}")
            return default
        value = raw[name]
        problem = check(value)
        if problem:
            self.bad(full, f"{problem}; allowed: {allowed}")
            return default
        return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _kind(v: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(v), type(v).__name__)


def _is_str(v: Any) -> str | None:
    return None if isinstance(v, str) and v.strip() else f"got {_kind(v)} {v!r}"


def _is_id(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"got {_kind(v)} {v!r}"
    return None if ID_RE.match(v) else f"'{v}' is not a valid id"


def _is_bool(v: Any) -> str | None:
    return None if isinstance(v, bool) else f"got {_kind(v)} {v!r}"


def _int_in(lo: int, hi: int) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int):
            return f"got {_kind(v)} {v!r}"
        return None if lo <= v <= hi else f"{v} is out of range"
    return check


def _num_in(lo: float, hi: float) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return f"got {_kind(v)} {v!r}"
        return None if lo <= v <= hi else f"{v} is out of range"
    return check


def _one_of(options: tuple) -> Callable[[Any], str | None]:
    def check(v: Any) -> str | None:
        return None if v in options else f"got {v!r}"
    return check


def _hhmm(v: Any) -> str | None:
    return None if isinstance(v, str) and HHMM_RE.match(v) else f"got {v!r}"


def _time(s: str) -> dt.time:
    h, m = s.split(":")
    return dt.time(int(h), int(m))


PIN_CHECK = _int_in(0, 27)
PIN_ALLOWED = "a BCM GPIO number 0..27"


def _lang_table(c: _Checker, raw: dict, key: str, name: str, languages: tuple[str, ...],
                required: bool) -> dict[str, str]:
    """A text per language: a table {de = "...", en = "..."} or one string for all."""
    full = _join(key, name)
    if name not in raw:
        if required:
            c.bad(full, "is required; allowed: a string or a table of texts per language "
                        f"({', '.join(languages)})")
        return {}
    v = raw[name]
    if isinstance(v, str):
        return {lang: v for lang in languages} if v.strip() else {}
    if not isinstance(v, dict) or not v:
        c.bad(full, f"got {_kind(v)}; allowed: a string or a table of texts per language")
        return {}
    out = {}
    for lang, text in v.items():
        if lang not in languages and c.languages_unsure:
            continue
        if lang not in languages:
            c.bad(_join(full, lang), f"language not in site.languages; allowed: {', '.join(languages)}")
        elif not isinstance(text, str) or not text.strip():
            c.bad(_join(full, lang), f"got {_kind(text)} {text!r}; allowed: a non-empty string")
        else:
            out[lang] = text
    return out


def _is_alsa_device(v: Any) -> str | None:
    if not isinstance(v, str) or not v.strip() or any(ch.isspace() for ch in v):
        return f"got {_kind(v)} {v!r}"
    return None


def _printer(c: _Checker, raw: Any, key: str) -> Printer:
    t = c.table(raw, key)
    c.keys(t, key, ("connection", "profile", "vendor_id", "product_id", "device", "baudrate",
                    "host", "port", "path", "timeout_s", "width_chars", "check_status", "dpi"))
    conn = c.get(t, key, "connection", _one_of(PRINTER_CONNECTIONS), " | ".join(PRINTER_CONNECTIONS),
                 default="dummy", required=True)
    p = Printer(
        connection=conn,
        profile=c.get(t, key, "profile", _is_str, "a python-escpos profile name, e.g. 'TM-T88V'"),
        vendor_id=c.get(t, key, "vendor_id", _int_in(0, 0xFFFF), "a USB vendor id, e.g. 0x04b8"),
        product_id=c.get(t, key, "product_id", _int_in(0, 0xFFFF), "a USB product id, e.g. 0x0202"),
        device=c.get(t, key, "device", _is_str, "a serial device path, e.g. '/dev/ttyUSB0'"),
        baudrate=c.get(t, key, "baudrate", _int_in(1200, 921600), "a baud rate, e.g. 19200", 19200),
        host=c.get(t, key, "host", _is_str, "a host name or address"),
        port=c.get(t, key, "port", _int_in(1, 65535), "a TCP port 1..65535", 9100),
        path=c.get(t, key, "path", _is_str, "a device or file path, e.g. '/dev/usb/lp0'"),
        timeout_s=c.get(t, key, "timeout_s", _num_in(0.1, 60), "seconds 0.1..60", 3.0),
        width_chars=c.get(t, key, "width_chars", _int_in(24, 64), "characters per line 24..64", 42),
        check_status=c.get(t, key, "check_status", _is_bool, "true | false", True),
        dpi=c.get(t, key, "dpi", _int_in(100, 600), "dots per inch 100..600, e.g. 180 for a TM-T88 "
                  "(default: the profile's, else 203)"),
    )
    needs = {"usb": ("vendor_id", "product_id"), "serial": ("device",), "network": ("host",),
             "file": ("path",), "dummy": ()}
    for n in needs.get(conn, ()):
        if getattr(p, n) is None:
            c.bad(_join(key, n), f"is required for connection = '{conn}'")
    return p


def _opening_hours(c: _Checker, raw: Any, key: str) -> dict[str, tuple[tuple[dt.time, dt.time], ...]]:
    t = c.table(raw, key)
    c.keys(t, key, WEEKDAYS)
    out = {}
    for day, spans in t.items():
        if day not in WEEKDAYS:
            continue
        full = _join(key, day)
        if isinstance(spans, str):
            spans = [spans]
        if not isinstance(spans, list):
            c.bad(full, f"got {_kind(spans)}; allowed: \"HH:MM-HH:MM\" or a list of them")
            continue
        parsed = []
        for s in spans:
            m = re.match(r"^(\d\d:\d\d)-(\d\d:\d\d)$", s) if isinstance(s, str) else None
            if not m or _hhmm(m.group(1)) or _hhmm(m.group(2)) or m.group(1) >= m.group(2):
                c.bad(full, f"got {s!r}; allowed: \"HH:MM-HH:MM\" with the start before the end")
                continue
            parsed.append((_time(m.group(1)), _time(m.group(2))))
        out[day] = tuple(sorted(parsed))
    return out


def _check(raw: dict, c: _Checker) -> SiteConfig | None:
    c.keys(raw, "", ("site", "services", "desks", "kiosks", "displays", "keypads", "broker",
                     "info_desk", "announcements", "ledger", "webs", "issuing", "alarm", "appointments"))

    # [site]
    site = c.table(raw.get("site", {}), "site")
    if "site" not in raw:
        c.bad("site", "is required; allowed: a table with id, name, languages, timezone")
    c.keys(site, "site", ("id", "name", "languages", "timezone", "day_starts", "opening_hours", "closed_days",
                          "lang_dir"))
    site_id = c.get(site, "site", "id", _is_id, "lower-case letters, digits and '-', 1..32 chars",
                    "site", required=True)
    name = c.get(site, "site", "name", _is_str, "the office name as a string", "", required=True)
    langs = c.get(site, "site", "languages",
                  lambda v: None if isinstance(v, list) and v and all(isinstance(x, str) and LANG_RE.match(x) for x in v)
                  and len(set(v)) == len(v) else f"got {v!r}",
                  "a non-empty list of distinct language codes, e.g. [\"de\", \"en\"]", ["de"])
    languages = tuple(langs)
    site_keys = ("id", "name", "languages", "timezone", "day_starts", "opening_hours", "closed_days", "lang_dir")
    c.languages_unsure = (langs is not site.get("languages") and "languages" in site) or (
        "languages" not in site and any(k not in site_keys for k in site))
    lang_dir = c.get(site, "site", "lang_dir", _is_str, "a directory of <code>.toml text catalogues")
    if lang_dir is not None:
        lang_dir = str((Path(c.path).parent / lang_dir) if not Path(lang_dir).is_absolute() else Path(lang_dir))
        if not Path(lang_dir).is_dir():
            c.bad("site.lang_dir", f"{lang_dir} is not a directory; "
                                   "allowed: a directory of <code>.toml text catalogues")
    known_langs = _texts.available(lang_dir)
    for i, lang in enumerate(languages):
        if lang not in known_langs:
            c.bad(f"site.languages[{i}]", f"no text catalogue for '{lang}'; allowed: {', '.join(known_langs)}, "
                                          f"or a file {lang}.toml in site.lang_dir")
    for problem in _texts.problems(tuple(x for x in languages if x in known_langs), lang_dir):
        c.bad("site.lang_dir", f"text catalogue {problem}")
    tzname = c.get(site, "site", "timezone", _is_str, "an IANA time zone, e.g. 'Europe/Berlin'",
                   "Europe/Berlin")
    try:
        ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        c.bad("site.timezone", f"unknown time zone {tzname!r}; allowed: an IANA time zone, e.g. 'Europe/Berlin'")
        tzname = "UTC"
    day_starts = _time(c.get(site, "site", "day_starts", _hhmm, "\"HH:MM\" local time, e.g. \"03:00\"",
                             "03:00"))
    opening = _opening_hours(c, site["opening_hours"], "site.opening_hours") if "opening_hours" in site else None
    closed_days = _closed_days(c, site.get("closed_days", []), "site.closed_days")

    # [[services]]
    services: list[Service] = []
    raw_services = raw.get("services")
    if not isinstance(raw_services, list) or not raw_services:
        c.bad("services", "is required; allowed: one or more [[services]] tables")
        raw_services = []
    for i, s in enumerate(raw_services):
        key = f"services[{i}]"
        t = c.table(s, key)
        c.keys(t, key, ("key", "name", "range", "default_service_min", "last_ticket", "quota", "capacity_stop"))
        skey = c.get(t, key, "key", lambda v: None if isinstance(v, str) and SERVICE_KEY_RE.match(v) else f"got {v!r}",
                     "one upper-case letter A..Z", required=True)
        rng = c.get(t, key, "range",
                    lambda v: None if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
                    and 1 <= v[0] < v[1] <= 999 else f"got {v!r}",
                    "[first, last] with 1 <= first < last <= 999", [1, 999])
        services.append(Service(
            key=skey or "?", names=_lang_table(c, t, key, "name", languages, True),
            first=rng[0], last=rng[1],
            default_service_min=float(c.get(t, key, "default_service_min", _num_in(0.5, 240),
                                            "minutes 0.5..240", 5.0)),
            last_ticket=_opt_time(c.get(t, key, "last_ticket", _hhmm, "\"HH:MM\" local time, e.g. \"17:30\"")),
            quota=c.get(t, key, "quota", _int_in(1, 999), "tickets a day 1..999"),
            capacity_stop=c.get(t, key, "capacity_stop", _is_bool, "true | false", False)))
    seen: dict[str, int] = {}
    for i, s in enumerate(services):
        if s.key in seen and s.key != "?":
            c.bad(f"services[{i}].key", f"duplicate service key '{s.key}' (also services[{seen[s.key]}])")
        seen.setdefault(s.key, i)
    service_keys = tuple(seen)

    # [[desks]]
    desks: list[Desk] = []
    raw_desks = raw.get("desks")
    if not isinstance(raw_desks, list) or not raw_desks:
        c.bad("desks", "is required; allowed: one or more [[desks]] tables")
        raw_desks = []
    for i, d in enumerate(raw_desks):
        key = f"desks[{i}]"
        t = c.table(d, key)
        c.keys(t, key, ("id", "label", "services", "panic_pin", "floor", "room"))
        did = c.get(t, key, "id", _is_id, "lower-case letters, digits and '-', 1..32 chars", "?", required=True)
        svcs = c.get(t, key, "services",
                     lambda v: None if isinstance(v, list) and v and all(isinstance(x, str) for x in v)
                     and len(set(v)) == len(v) else f"got {v!r}",
                     "a non-empty list of distinct service keys, in the order served", [], required=True)
        for j, sk in enumerate(svcs):
            if sk not in service_keys:
                c.bad(f"{key}.services[{j}]", f"unknown service '{sk}'; allowed: {', '.join(service_keys) or 'none defined'}")
        labels = _lang_table(c, t, key, "label", languages, False) or {lang: f"{did}" for lang in languages}
        desks.append(Desk(id=did, labels=labels, services=tuple(svcs),
                          panic_pin=c.get(t, key, "panic_pin", PIN_CHECK, PIN_ALLOWED),
                          floor=c.get(t, key, "floor", _label, "a short label, e.g. \"2\" (1..16 characters)"),
                          room=c.get(t, key, "room", _label, "a short label, e.g. \"2.14\" (1..16 characters)")))
    _no_dupes(c, "desks", [d.id for d in desks])

    # [[kiosks]]
    kiosks: list[Kiosk] = []
    for i, k in enumerate(_list(c, raw, "kiosks")):
        key = f"kiosks[{i}]"
        t = c.table(k, key)
        c.keys(t, key, ("id", "buttons", "printer", "led_pin", "buzzer_pin", "min_gap_s", "hold_test_s",
                        "request_timeout_s", "late_print_s", "footer", "qr_url", "scanner", "code_keypad",
                        "appointment_pin", "ticket_languages", "speaker", "speech_languages", "info_pin"))
        kid = c.get(t, key, "id", _is_id, "lower-case letters, digits and '-', 1..32 chars", "?", required=True)
        if kid in RESERVED_KIOSK_IDS:
            c.bad(f"{key}.id", f"'{kid}' is reserved for the info desk; allowed: any other id")
        buttons = []
        raw_buttons = t.get("buttons")
        if not isinstance(raw_buttons, list) or not raw_buttons:
            c.bad(f"{key}.buttons", "is required; allowed: one or more [[kiosks.buttons]] tables with service and pin")
            raw_buttons = []
        for j, b in enumerate(raw_buttons):
            bkey = f"{key}.buttons[{j}]"
            bt = c.table(b, bkey)
            c.keys(bt, bkey, ("service", "pin"))
            svc = c.get(bt, bkey, "service", _is_str, "a service key", "?", required=True)
            if svc != "?" and svc not in service_keys:
                c.bad(f"{bkey}.service", f"unknown service '{svc}'; allowed: {', '.join(service_keys)}")
            buttons.append(Button(service=svc, pin=c.get(bt, bkey, "pin", PIN_CHECK, PIN_ALLOWED, -1, required=True)))
        printer = _printer(c, t.get("printer", {"connection": "dummy"}), f"{key}.printer")
        qr = c.get(t, key, "qr_url", _is_str, "a URL template with {number}, e.g. 'https://example.org/q/{number}'")
        if qr is not None and "{number}" not in qr:
            c.bad(f"{key}.qr_url", "has no {number} placeholder; allowed: a URL template with {number}")
        kiosk = Kiosk(
            id=kid, buttons=tuple(buttons), printer=printer,
            led_pin=c.get(t, key, "led_pin", PIN_CHECK, PIN_ALLOWED),
            buzzer_pin=c.get(t, key, "buzzer_pin", PIN_CHECK, PIN_ALLOWED),
            min_gap_s=float(c.get(t, key, "min_gap_s", _num_in(0, 60), "seconds 0..60", 2.0)),
            hold_test_s=float(c.get(t, key, "hold_test_s", _num_in(1, 60), "seconds 1..60", 5.0)),
            request_timeout_s=float(c.get(t, key, "request_timeout_s", _num_in(0.5, 30), "seconds 0.5..30", 3.0)),
            late_print_s=float(c.get(t, key, "late_print_s", _num_in(0, 3600), "seconds 0..3600", 60.0)),
            footer=_lang_table(c, t, key, "footer", languages, False),
            qr_url=qr,
            scanner=c.get(t, key, "scanner", _is_str,
                          "an input device path, e.g. '/dev/input/by-id/usb-...-event-kbd'"),
            code_keypad=c.get(t, key, "code_keypad", _is_str,
                              "an input device path, e.g. '/dev/input/by-id/usb-...-event-kbd'"),
            appointment_pin=c.get(t, key, "appointment_pin", PIN_CHECK, PIN_ALLOWED),
            ticket_languages=_lang_list(c, t, key, "ticket_languages", languages),
            speaker=c.get(t, key, "speaker", _is_bool, "true | false", False),
            speech_languages=_lang_list(c, t, key, "speech_languages", languages),
            info_pin=c.get(t, key, "info_pin", PIN_CHECK, PIN_ALLOWED),
        )
        pins: dict[int, str] = {}
        for where, pin in ([(f"buttons[{j}].pin", b.pin) for j, b in enumerate(buttons)]
                           + [("led_pin", kiosk.led_pin), ("buzzer_pin", kiosk.buzzer_pin),
                              ("appointment_pin", kiosk.appointment_pin), ("info_pin", kiosk.info_pin)]):
            if pin is None or pin < 0:
                continue
            if pin in pins:
                c.bad(f"{key}.{where}", f"GPIO {pin} is already used by {key}.{pins[pin]}; allowed: a pin not used elsewhere on this kiosk")
            else:
                pins[pin] = where
        kiosks.append(kiosk)
    _no_dupes(c, "kiosks", [k.id for k in kiosks])

    # [[displays]]
    displays: list[Display] = []
    for i, d in enumerate(_list(c, raw, "displays")):
        key = f"displays[{i}]"
        t = c.table(d, key)
        c.keys(t, key, ("id", "orientation", "size", "chime", "speech", "history", "highlight_s",
                        "min_call_s", "notices", "audio_device", "languages", "speech_languages", "repeat",
                        "rotate_s", "viewing_distance_m", "diagonal_in"))
        notices: dict[str, tuple[str, ...]] = {}
        if "notices" in t:
            nt = c.table(t["notices"], f"{key}.notices")
            for lang, texts in nt.items():
                if lang not in languages and c.languages_unsure:
                    continue
                if lang not in languages:
                    c.bad(f"{key}.notices.{lang}", f"language not in site.languages; allowed: {', '.join(languages)}")
                elif isinstance(texts, str):
                    notices[lang] = (texts,)
                elif isinstance(texts, list) and all(isinstance(x, str) for x in texts):
                    notices[lang] = tuple(texts)
                else:
                    c.bad(f"{key}.notices.{lang}", f"got {_kind(texts)}; allowed: a string or a list of strings")
        size = c.get(t, key, "size",
                     lambda v: None if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and 160 <= x <= 8192 for x in v)
                     else f"got {v!r}", "[width, height] in pixels, e.g. [1920, 1080]")
        displays.append(Display(
            id=c.get(t, key, "id", _is_id, "lower-case letters, digits and '-', 1..32 chars", "?", required=True),
            orientation=c.get(t, key, "orientation", _one_of(("auto", "landscape", "portrait")),
                              "auto | landscape | portrait", "auto"),
            size=tuple(size) if size else None,
            chime=c.get(t, key, "chime", _is_bool, "true | false", True),
            speech=c.get(t, key, "speech", _is_bool, "true | false", True),
            history=c.get(t, key, "history", _int_in(0, 9), "0..9 earlier calls", 8),
            highlight_s=float(c.get(t, key, "highlight_s", _num_in(0, 120), "seconds 0..120", 8.0)),
            min_call_s=float(c.get(t, key, "min_call_s", _num_in(0, 120), "seconds 0..120", 15.0)),
            notices=notices,
            audio_device=c.get(t, key, "audio_device", _is_alsa_device,
                               "hdmi | hdmi2 | jack | an ALSA device name from 'aplay -L', "
                               "e.g. 'plughw:CARD=Device,DEV=0'"),
            languages=_lang_list(c, t, key, "languages", languages),
            speech_languages=_lang_list(c, t, key, "speech_languages", languages),
            repeat=c.get(t, key, "repeat", _int_in(1, 3), "1..3 times", 1),
            rotate_s=float(c.get(t, key, "rotate_s", _num_in(2, 60), "seconds 2..60", 8.0)),
            viewing_distance_m=_opt_float(c.get(t, key, "viewing_distance_m", _num_in(0.5, 50),
                                                "metres 0.5..50 (the farthest seat)")),
            diagonal_in=_opt_float(c.get(t, key, "diagonal_in", _num_in(5, 150),
                                         "the screen diagonal in inches 5..150")),
        ))
    _no_dupes(c, "displays", [d.id for d in displays])

    # [[keypads]]
    desk_ids = tuple(d.id for d in desks)
    keypads: list[Keypad] = []
    for i, k in enumerate(_list(c, raw, "keypads")):
        key = f"keypads[{i}]"
        t = c.table(k, key)
        c.keys(t, key, ("desk", "device", "keymap"))
        desk = c.get(t, key, "desk", _is_str, "a desk id", "?", required=True)
        if desk != "?" and desk not in desk_ids:
            c.bad(f"{key}.desk", f"unknown desk '{desk}'; allowed: {', '.join(desk_ids)}")
        keymap = {}
        if "keymap" in t:
            km = c.table(t["keymap"], f"{key}.keymap")
            for kname, action in km.items():
                if not KEY_NAME_RE.match(kname):
                    c.bad(f"{key}.keymap.{kname}", "not an evdev key name; allowed: names like KEY_KPENTER, KEY_KP7")
                elif action not in KEYPAD_ACTIONS:
                    c.bad(f"{key}.keymap.{kname}", f"unknown action {action!r}; allowed: {', '.join(KEYPAD_ACTIONS)}")
                else:
                    keymap[kname] = action
        keypads.append(Keypad(
            desk=desk,
            device=c.get(t, key, "device", _is_str, "an input device path, e.g. '/dev/input/by-id/usb-...-event-kbd'",
                         "", required=True),
            keymap=keymap))
    _no_dupes(c, "keypads", [k.device for k in keypads], what="device")

    broker = broker_table(c, raw)

    # [info_desk]
    info = c.table(raw.get("info_desk", {}), "info_desk")
    c.keys(info, "info_desk", ("printer", "priority"))
    info_desk = InfoDesk(
        printer=_printer(c, info["printer"], "info_desk.printer") if "printer" in info else None,
        priority=c.get(info, "info_desk", "priority", _is_bool, "true | false", False))

    # [announcements]
    ann = c.table(raw.get("announcements", {}), "announcements")
    c.keys(ann, "announcements", tuple(ann) if c.languages_unsure else languages)
    announcements: dict[str, str] = {}      # only the site's own; the rest comes from the text catalogues
    for lang, tmpl in ann.items():
        if lang not in languages:
            continue
        if not isinstance(tmpl, str) or "{number}" not in tmpl or "{desk}" not in tmpl:
            c.bad(f"announcements.{lang}", f"got {tmpl!r}; allowed: a text with {{number}} and {{desk}}, "
                                           "e.g. \"Nummer {number}, bitte zu {desk}\"")
        else:
            announcements[lang] = tmpl

    # [ledger]
    led = c.table(raw.get("ledger", {}), "ledger")
    c.keys(led, "ledger", ("retention_days", "eta_window"))
    retention = c.get(led, "ledger", "retention_days", _int_in(1, 3650), "days 1..3650", 30)
    eta_window = c.get(led, "ledger", "eta_window", _int_in(3, 500), "recent tickets 3..500", 20)

    webs = _webs(c, raw)
    if webs:  # the ticket page is what the QR on a ticket opens, unless a kiosk says otherwise
        kiosks = [k if k.qr_url else replace(k, qr_url=webs[0].ticket_url()) for k in kiosks]
    issuing, alarm = _issuing(c, raw, languages), _alarm(c, raw, desks)
    appointments = _appointments(c, raw["appointments"], service_keys) if "appointments" in raw else None

    if c.problems:
        return None
    return SiteConfig(
        path=c.path, site_id=site_id, name=name, languages=languages, timezone=tzname,
        day_starts=day_starts, opening_hours=opening, services=tuple(services), desks=tuple(desks),
        kiosks=tuple(kiosks), displays=tuple(displays), keypads=tuple(keypads), broker=broker,
        info_desk=info_desk, announcements={k: v for k, v in announcements.items() if k in languages},
        retention_days=retention, eta_window=eta_window, webs=tuple(webs), closed_days=closed_days,
        issuing=issuing, alarm=alarm, appointments=appointments, lang_dir=lang_dir)


LISTEN_RE = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
PUBLIC_URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~/-]*)?$")


def _listen(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"got {_kind(v)} {v!r}"
    m = LISTEN_RE.match(v)
    return None if m and 1 <= int(m.group(2)) <= 65535 else f"got {v!r}"


def _public_url(v: Any) -> str | None:
    return None if isinstance(v, str) and PUBLIC_URL_RE.match(v) else f"got {v!r}"


def _webs(c: _Checker, raw: dict) -> list[Web]:
    """``[[webs]]``: the ``aufruf web`` servers (board page, ticket pages)."""
    webs = [web_table(c, w, f"webs[{i}]", site_file=True) for i, w in enumerate(_list(c, raw, "webs"))]
    _no_dupes(c, "webs", [w.id for w in webs])
    return webs


def broker_table(c: _Checker, raw: dict) -> Broker:
    """``[broker]``: where the MQTT broker is and where this machine keeps its logins."""
    b = c.table(raw.get("broker", {}), "broker")
    c.keys(b, "broker", ("host", "port", "credentials_dir", "tls", "ca_file", "mqtt_version", "keepalive_s"))
    return Broker(
        host=c.get(b, "broker", "host", _is_str, "a host name or address", "localhost"),
        port=c.get(b, "broker", "port", _int_in(1, 65535), "a TCP port 1..65535", 1883),
        credentials_dir=c.get(b, "broker", "credentials_dir", _is_str, "a directory path",
                              "/etc/aufruf/credentials"),
        tls=c.get(b, "broker", "tls", _is_bool, "true | false", False),
        ca_file=c.get(b, "broker", "ca_file", _is_str, "a PEM file path"),
        mqtt_version=c.get(b, "broker", "mqtt_version", _one_of((5, 3)), "5 | 3 (MQTT 3.1.1)", 5),
        keepalive_s=c.get(b, "broker", "keepalive_s", _int_in(5, 600), "seconds 5..600", 30),
    )


def web_table(c: _Checker, raw: Any, key: str, site_file: bool) -> Web:
    """One web server's table: a site file's ``[[webs]]``, or the ``[web]`` of a central file."""
    t = c.table(raw, key)
    c.keys(t, key, ("id", "listen", "public_url", "tls_cert", "tls_key", "max_clients",
                    "staff_idle_min", "wait_alert_min") + (("central",) if site_file else ()))
    listen = c.get(t, key, "listen", _listen, "\"HOST:PORT\", e.g. \"0.0.0.0:8080\"", "0.0.0.0:8080")
    host, port = listen.rsplit(":", 1)
    cert = c.get(t, key, "tls_cert", _is_str, "a PEM certificate file path")
    tkey = c.get(t, key, "tls_key", _is_str, "a PEM private key file path")
    if (cert is None) != (tkey is None):
        c.bad(f"{key}.{'tls_key' if cert else 'tls_cert'}", "is required with "
              f"{'tls_cert' if cert else 'tls_key'}; allowed: both tls_cert and tls_key, or neither")
    central = bool(c.get(t, key, "central", _is_bool, "true | false", False)) if site_file else False
    if central and ("listen" in t or cert):
        c.bad(f"{key}.central", "a web served centrally listens where the central file says; "
              "allowed: id, public_url (the central server's address for this site) and central = true")
    return Web(
        id=c.get(t, key, "id", _is_id, "lower-case letters, digits and '-', 1..32 chars", "?", required=True),
        host=host.strip("[]"), port=int(port),
        public_url=c.get(t, key, "public_url", _public_url,
                         "the http(s) URL phones open, e.g. \"https://warten.example.org\"", "http://localhost",
                         required=True),
        tls_cert=cert, tls_key=tkey,
        max_clients=c.get(t, key, "max_clients", _int_in(1, 20000), "live connections 1..20000", 1000),
        staff_idle_min=c.get(t, key, "staff_idle_min", _int_in(1, 720), "minutes 1..720", 30),
        wait_alert_min=c.get(t, key, "wait_alert_min", _int_in(1, 600), "minutes 1..600", 30),
        central=central)


def _opt_time(v: str | None) -> dt.time | None:
    return _time(v) if v is not None else None


def _closed_days(c: _Checker, raw: Any, key: str) -> frozenset[dt.date]:
    """Closing days (public holidays): ISO dates, as TOML dates or strings."""
    if not isinstance(raw, list):
        c.bad(key, f"got {_kind(raw)}; allowed: a list of dates, e.g. [2026-12-24, \"2026-12-25\"]")
        return frozenset()
    out = set()
    for i, v in enumerate(raw):
        day = v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else None
        if isinstance(v, str):
            try:
                day = dt.date.fromisoformat(v)
            except ValueError:
                day = None
        if day is None:
            c.bad(f"{key}[{i}]", f"got {v!r}; allowed: a date like 2026-12-24")
        else:
            out.add(day)
    return frozenset(out)


def _issuing(c: _Checker, raw: dict, languages: tuple[str, ...]) -> Issuing:
    t = c.table(raw.get("issuing", {}), "issuing")
    c.keys(t, "issuing", ("within_hours", "closed_slip", "reasons"))
    reasons = {}
    rt = c.table(t.get("reasons", {}), "issuing.reasons")
    for k in rt:
        if not ID_RE.match(k):
            c.bad(f"issuing.reasons.{k}", "not a valid reason key; allowed: lower-case letters, digits and '-'")
        else:
            reasons[k] = _lang_table(c, rt, "issuing.reasons", k, languages, True)
    return Issuing(within_hours=c.get(t, "issuing", "within_hours", _is_bool, "true | false", False),
                   closed_slip=_lang_table(c, t, "issuing", "closed_slip", languages, False), reasons=reasons)


def _alarm(c: _Checker, raw: dict, desks: list[Desk]) -> Alarm:
    t = c.table(raw.get("alarm", {}), "alarm")
    c.keys(t, "alarm", ("keypad_key", "hold_s", "output_pin", "command"))
    key = c.get(t, "alarm", "keypad_key",
                lambda v: None if isinstance(v, str) and (v == "" or KEY_NAME_RE.match(v)) else f"got {v!r}",
                "an evdev key name like KEY_KP0, or \"\" for no keypad alarm", "KEY_KP0")
    cmd = c.get(t, "alarm", "command",
                lambda v: None if isinstance(v, list) and v and all(isinstance(x, str) and x for x in v)
                else f"got {v!r}", "a program and its arguments, e.g. [\"/usr/local/bin/notify\", \"{desk}\"]", [])
    out_pin = c.get(t, "alarm", "output_pin", PIN_CHECK, PIN_ALLOWED)
    used = {d.panic_pin: i for i, d in enumerate(desks) if d.panic_pin is not None}
    for i, d in enumerate(desks):
        if d.panic_pin is not None and used[d.panic_pin] != i:
            c.bad(f"desks[{i}].panic_pin", f"GPIO {d.panic_pin} is already used by desks[{used[d.panic_pin]}]."
                                           "panic_pin; allowed: a pin not used elsewhere on the controller")
    if out_pin is not None and out_pin in used:
        c.bad("alarm.output_pin", f"GPIO {out_pin} is already used by desks[{used[out_pin]}].panic_pin; "
                                  "allowed: a pin not used elsewhere on the controller")
    return Alarm(keypad_key=key or None,
                 hold_s=float(c.get(t, "alarm", "hold_s", _num_in(1, 10), "seconds 1..10", 2.0)),
                 output_pin=out_pin, command=tuple(cmd))


def _label(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"got {_kind(v)} {v!r}"
    return None if 1 <= len(v) <= 16 and v.isprintable() and v.strip() == v else f"got {v!r}"


def _appointments(c: _Checker, raw: Any, service_keys: tuple[str, ...]) -> Appointments:
    key = "appointments"
    t = c.table(raw, key)
    c.keys(t, key, ("series", "early_min", "late_min", "late_service", "prefer", "drop_dir"))
    series = c.get(t, key, "series", lambda v: None if isinstance(v, str) and SERVICE_KEY_RE.match(v) else f"got {v!r}",
                   "one upper-case letter A..Z that is not a service key", "T")
    if series in service_keys:
        c.bad(f"{key}.series", f"'{series}' is already a service key; allowed: a letter no service uses")
    late_service = c.get(t, key, "late_service", _is_str, f"a service key ({', '.join(service_keys)})")
    if late_service is not None and late_service not in service_keys:
        c.bad(f"{key}.late_service", f"unknown service '{late_service}'; allowed: {', '.join(service_keys)}")
        late_service = None
    return Appointments(
        series=series,
        early_min=c.get(t, key, "early_min", _int_in(0, 240), "minutes 0..240 before the appointment", 30),
        late_min=c.get(t, key, "late_min", _int_in(0, 240), "minutes 0..240 after the appointment", 10),
        late_service=late_service,
        prefer=c.get(t, key, "prefer", _is_bool, "true (due appointments before walk-ins) | false", True),
        drop_dir=c.get(t, key, "drop_dir", _is_str, "a directory path the calendar exports CSV files to"))


# what the de and en catalogues (aufruf/data/lang) say; kept for callers of the old name
DEFAULT_ANNOUNCEMENTS = {
    "de": "Nummer {number}, bitte zu {desk}.",
    "en": "Number {number}, please go to {desk}.",
}


def _lang_list(c: _Checker, raw: dict, key: str, name: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    """An ordered subset of the site languages (empty when the key is absent: the caller's default)."""
    allowed = f"a list of distinct site languages in the order wanted ({', '.join(languages)})"
    v = c.get(raw, key, name, lambda v: None if isinstance(v, list) and v and all(isinstance(x, str) for x in v)
              and len(set(v)) == len(v) else f"got {v!r}", allowed, [])
    for i, lang in enumerate(v):
        if lang not in languages and not c.languages_unsure:
            c.bad(f"{_join(key, name)}[{i}]", f"'{lang}' is not in site.languages; allowed: {', '.join(languages)}")
    return tuple(x for x in v if x in languages)


def _opt_float(v: Any) -> float | None:
    return None if v is None else float(v)


def _list(c: _Checker, raw: dict, key: str) -> list:
    v = raw.get(key, [])
    if not isinstance(v, list):
        c.bad(key, f"got {_kind(v)}; allowed: [[{key}]] tables")
        return []
    return v


def _no_dupes(c: _Checker, key: str, ids: list[str], what: str = "id") -> None:
    first: dict[str, int] = {}
    for i, x in enumerate(ids):
        if x in first and x != "?":
            c.bad(f"{key}[{i}].{what}", f"duplicate {what} '{x}' (also {key}[{first[x]}]); allowed: a unique {what}")
        first.setdefault(x, i)


# ---------------------------------------------------------------- entry points

def parse(text: str, path: str = "<string>") -> SiteConfig:
    """Parse and check a site config given as TOML text; raise ConfigError with every problem."""
    text = text.removeprefix("\ufeff")    # a UTF-8 byte order mark (Windows editors) is not TOML, but harmless
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, [f"not valid TOML: {e}"]) from None
    c = _Checker(path)
    cfg = _check(raw, c)
    if cfg is None:
        raise ConfigError(path, c.problems)
    return cfg


def read_text(path: str | Path) -> str:
    """A config file's text; ConfigError naming the file when it cannot be read or is not UTF-8."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(str(p), [f"cannot read the file: {e.strerror or e}"]) from None
    except UnicodeDecodeError:
        raise ConfigError(str(p), ["the file is not UTF-8 text"]) from None


def load(path: str | Path) -> SiteConfig:
    """Read and check the site file at ``path``; raise ConfigError naming the file."""
    return parse(read_text(path), str(Path(path)))


def summary(cfg: SiteConfig) -> str:
    """A short human summary of a valid site config (for check-config)."""
    lines = [f"site {cfg.site_id}: {cfg.name} ({', '.join(cfg.languages)}, {cfg.timezone}, "
             f"day starts {cfg.day_starts:%H:%M})"]
    for s in cfg.services:
        rules = [f"last ticket {s.last_ticket:%H:%M}" if s.last_ticket else "",
                 f"quota {s.quota}" if s.quota else "", "capacity stop" if s.capacity_stop else ""]
        rules_text = "; " + ", ".join(r for r in rules if r) if any(rules) else ""
        lines.append(f"  service {s.key}: {s.name(cfg.languages[0])} ({s.key}{s.first:03d}..{s.key}{s.last:03d})"
                     f"{rules_text}")
    first = cfg.languages[0]
    for d in cfg.desks:
        label = d.labels.get(first) if d.labels.get(first, d.id) != d.id else \
            _texts.Catalogue(cfg.languages, cfg.lang_dir).text(first, "board.desk", desk=d.id)
        lines.append(f"  desk {d.id}: {label} serves {', '.join(d.services)}")
    if cfg.issuing.within_hours:
        lines.append(f"  tickets only within the opening hours; {len(cfg.closed_days)} closing day(s)")
    for k in cfg.kiosks:
        btn = ", ".join(f"{b.service}@GPIO{b.pin}" for b in k.buttons)
        lines.append(f"  kiosk {k.id}: buttons {btn}; printer {k.printer.connection}")
    for d in cfg.displays:
        lines.append(f"  display {d.id}: {d.orientation}, chime {'on' if d.chime else 'off'}, "
                     f"speech {'on' if d.speech else 'off'}; languages {', '.join(d.languages or cfg.languages)}, "
                     f"spoken {', '.join(d.speech_languages or d.languages or cfg.languages)} x{d.repeat}")
    for k in cfg.keypads:
        lines.append(f"  keypad for desk {k.desk}: {k.device}")
    for w in cfg.webs:
        lines.append(f"  web {w.id}: listens on {w.host}:{w.port}{' (TLS)' if w.tls_cert else ''}, "
                     f"phones open {w.public_url}")
    if cfg.appointments is not None:
        a = cfg.appointments
        lines.append(f"  appointments: numbers {a.series}001.., check-in {a.early_min} min early to {a.late_min} min late"
                     f", too late: {'a ' + a.late_service + ' ticket' if a.late_service else 'refused'}"
                     f"{', drop directory ' + a.drop_dir if a.drop_dir else ''}")
    lines.append(f"  broker {cfg.broker.host}:{cfg.broker.port} (MQTT {'5' if cfg.broker.mqtt_version == 5 else '3.1.1'}"
                 f"{', TLS' if cfg.broker.tls else ''}), credentials in {cfg.broker.credentials_dir}")
    return "\n".join(lines)


def replace_table(text: str, table: str, values: dict[str, Any]) -> str:
    """Return site-file text with the top-level ``[table]`` replaced by ``values``.

    Used by the demo and the tests to point a copy of a site file at their own
    broker; comments elsewhere in the file are kept.
    """
    lines = text.splitlines()
    out, skipping = [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            skipping = stripped == f"[{table}]"
            if skipping:
                continue
        if not skipping:
            out.append(line)
    out.append("")
    out.append(f"[{table}]")
    for k, v in values.items():
        out.append(f"{k} = {_toml_value(v)}")
    return "\n".join(out) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def load_or_exit(path: str) -> SiteConfig:
    """Load the site file for a command's ``main``: print every problem and exit 1 when invalid."""
    try:
        return load(path)
    except ConfigError as e:
        print(e, file=sys.stderr)
        raise SystemExit(1) from None


# ---------------------------------------------------------------- the central web's file

@dataclass(frozen=True)
class CentralConfig:
    """``aufruf web --central FILE``: one web server for several sites, on the central broker.

    ``sites`` are the sites' own files, each with ``broker`` replaced by the central broker
    (the web reads every site's topics there, bridged out by the site's broker, and its
    "leave the queue" commands are bridged back in).
    """

    path: str
    web: Web
    broker: Broker
    sites: tuple[SiteConfig, ...]

    def site(self, site_id: str) -> SiteConfig | None:
        return next((s for s in self.sites if s.site_id == site_id), None)

    def site_url(self, site_id: str) -> str:
        """Where a site's pages are on the central server (its ``[[webs]]`` public_url)."""
        return f"{self.web.public_url.rstrip('/')}/s/{site_id}"


def parse_central(text: str, path: str = "<string>") -> CentralConfig:
    """Parse and check a central web's file; ConfigError with every problem (the sites' too)."""
    try:
        raw = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, [f"not valid TOML: {e}"]) from None
    c = _Checker(path)
    c.keys(raw, "", ("web", "broker", "sites"))
    if "web" not in raw:
        c.bad("web", "is required; allowed: a [web] table with id, listen, public_url")
    web = web_table(c, raw.get("web", {}), "web", site_file=False)
    broker = broker_table(c, raw)
    base = Path(path).parent
    sites: list[SiteConfig] = []
    entries = raw.get("sites")
    if not isinstance(entries, list) or not entries:
        c.bad("sites", "is required; allowed: one or more [[sites]] tables with config = \"<site file>\"")
        entries = []
    for i, entry in enumerate(entries):
        key = f"sites[{i}]"
        t = c.table(entry, key)
        c.keys(t, key, ("config",))
        file = c.get(t, key, "config", _is_str, "the site's own site file, relative to this file", required=True)
        if file is None:
            continue
        try:
            site = load(base / file)
        except ConfigError as e:
            c.bad(f"{key}.config", f"{e.path}: " + "; ".join(e.problems))
            continue
        want = f"{web.public_url.rstrip('/')}/s/{site.site_id}"
        own = site.web(web.id)
        if own is None or not own.central or own.public_url.rstrip("/") != want:
            c.bad(f"{key}.config", f"{base / file} needs [[webs]] id = \"{web.id}\", central = true, "
                  f"public_url = \"{want}\" (so its tickets' QR codes lead here and its controller "
                  "takes this server's commands)")
        sites.append(replace(site, broker=broker))
    ids = [s.site_id for s in sites]
    for sid in sorted({x for x in ids if ids.count(x) > 1}):
        c.bad("sites", f"site id '{sid}' comes twice; allowed: each site once")
    if c.problems:
        raise ConfigError(path, c.problems)
    return CentralConfig(path=path, web=web, broker=broker, sites=tuple(sites))


def load_central(path: str | Path) -> CentralConfig:
    """Read and check a central web's file (and the site files it names)."""
    return parse_central(read_text(path), str(Path(path)))
