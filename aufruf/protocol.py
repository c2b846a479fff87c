"""The aufruf wire protocol, version 1: topic names and strict payload checks.

Every device and third-party client relies on this contract (docs/protocol.md).
Incoming payloads are decoded with :func:`decode` and checked by one of the
``check_*`` functions, which raise :class:`PayloadError` with the reason that
is sent back to the requester. Builders make the outgoing payloads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import PayloadError

VERSION = 1
MAX_PAYLOAD = 4096
ID_RE = re.compile(r"^[a-z0-9-]{1,32}$")
NUMBER_RE = re.compile(r"^([A-Z])(\d{3})$")
SERVICE_RE = re.compile(r"^[A-Z]$")
ACTIONS = ("next", "recall", "noshow", "done", "pause", "resume", "transfer", "call", "alarm")
ROLES = ("kiosk", "controller", "display", "keypad", "staff")
PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline")
DESK_STATES = ("serving", "idle", "paused")
STATUS_STALE_MS = 180_000
BOARD_CALLS = 10


@dataclass(frozen=True)
class Topics:
    """Topic names of one site (all under ``aufruf/<site>/``)."""

    site: str

    def __post_init__(self) -> None:
        if not ID_RE.match(self.site):
            raise PayloadError(f"invalid site id {self.site!r}")

    @property
    def root(self) -> str:
        return f"aufruf/{self.site}/"

    def _id(self, value: str) -> str:
        if not ID_RE.match(value):
            raise PayloadError(f"invalid id {value!r}: use [a-z0-9-]{{1,32}}")
        return value

    def request(self, kiosk: str) -> str:
        return f"{self.root}kiosk/{self._id(kiosk)}/request"

    def ticket(self, kiosk: str) -> str:
        return f"{self.root}kiosk/{self._id(kiosk)}/ticket"

    def printed(self, kiosk: str) -> str:
        return f"{self.root}kiosk/{self._id(kiosk)}/printed"

    def command(self, desk: str) -> str:
        return f"{self.root}desk/{self._id(desk)}/command"

    def reply(self, desk: str) -> str:
        return f"{self.root}desk/{self._id(desk)}/reply"

    def desk_state(self, desk: str) -> str:
        return f"{self.root}desk/{self._id(desk)}/state"

    def status(self, role: str, device: str) -> str:
        if role not in ROLES:
            raise PayloadError(f"unknown role {role!r}")
        return f"{self.root}status/{role}/{self._id(device)}"

    @property
    def call(self) -> str:
        return f"{self.root}call"

    @property
    def board(self) -> str:
        return f"{self.root}board"

    @property
    def queue(self) -> str:
        return f"{self.root}queue"

    @property
    def stats_today(self) -> str:
        return f"{self.root}stats/today"

    @property
    def all_status(self) -> str:
        return f"{self.root}status/#"

    @property
    def alarm_state(self) -> str:
        """Retained, staff-only: the active silent alarms (docs/protocol.md)."""
        return f"{self.root}alarm/state"

    @property
    def alarm_event(self) -> str:
        """Staff-only: one event per raised or cleared alarm."""
        return f"{self.root}alarm/event"

    def staff_command(self, device: str) -> str:
        return f"{self.root}staff/{self._id(device)}/command"

    def staff_reply(self, device: str) -> str:
        return f"{self.root}staff/{self._id(device)}/reply"

    def parse(self, topic: str) -> tuple[str, str | None]:
        """Split an incoming topic into (kind, device id) with kind like 'kiosk/request'.

        Device ids may be anything here (the caller answers unknown ones); only the
        shape is checked. Raises PayloadError for a topic outside the protocol.
        """
        if not topic.startswith(self.root):
            raise PayloadError(f"topic outside {self.root}")
        parts = topic[len(self.root):].split("/")
        if len(parts) == 3 and parts[0] in ("kiosk", "desk", "staff"):
            return f"{parts[0]}/{parts[2]}", parts[1]
        if len(parts) == 3 and parts[0] == "status":
            return f"status/{parts[1]}", parts[2]
        if len(parts) == 1:
            return parts[0], None
        if len(parts) == 2 and parts[0] == "stats":
            return topic[len(self.root):], None
        raise PayloadError("unknown topic")


def encode(payload: dict[str, Any]) -> bytes:
    """Serialise a payload compactly as UTF-8 JSON."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(raw: bytes) -> dict[str, Any]:
    """Parse an incoming payload: a UTF-8 JSON object of at most 4 KiB with "v": 1."""
    if len(raw) > MAX_PAYLOAD:
        raise PayloadError(f"payload too large ({len(raw)} bytes, at most {MAX_PAYLOAD})")
    try:
        obj = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError("payload is not UTF-8") from None
    except (ValueError, RecursionError):
        raise PayloadError("payload is not JSON") from None
    if not isinstance(obj, dict):
        raise PayloadError("payload is not a JSON object")
    if obj.get("v") != VERSION or isinstance(obj.get("v"), bool):
        raise PayloadError(f"unsupported protocol version {obj.get('v')!r}, expected {VERSION}")
    return obj


# ---------------------------------------------------------------- field checks

def _str(obj: dict, key: str, pattern: re.Pattern | None = None, lo: int = 1, hi: int = 64,
         required: bool = True) -> str | None:
    if key not in obj:
        if required:
            raise PayloadError(f"missing field '{key}'")
        return None
    v = obj[key]
    if not isinstance(v, str):
        raise PayloadError(f"field '{key}' must be a string")
    if not lo <= len(v) <= hi:
        raise PayloadError(f"field '{key}' must be {lo} to {hi} characters")
    if pattern is not None and not pattern.match(v):
        raise PayloadError(f"field '{key}' has an invalid value")
    return v


def _bool(obj: dict, key: str, required: bool = True) -> bool | None:
    if key not in obj:
        if required:
            raise PayloadError(f"missing field '{key}'")
        return None
    if not isinstance(obj[key], bool):
        raise PayloadError(f"field '{key}' must be true or false")
    return obj[key]


def _int(obj: dict, key: str, required: bool = True, lo: int = 0) -> int | None:
    if key not in obj or obj[key] is None and not required:
        if required:
            raise PayloadError(f"missing field '{key}'")
        return None
    v = obj[key]
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise PayloadError(f"field '{key}' must be an integer >= {lo}")
    return v


REQ_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


def _match(obj: dict, key: str, pattern: re.Pattern, what: str) -> str:
    """A required string field that must match ``pattern``; ``what`` tells the sender the expected form."""
    v = obj.get(key)
    if v is None:
        raise PayloadError(f"missing field '{key}'")
    if not isinstance(v, str) or not pattern.match(v):
        raise PayloadError(f"field '{key}' must be {what}")
    return v


def _id(obj: dict) -> str:
    return _match(obj, "id", REQ_ID_RE, "1 to 64 printable ASCII characters without spaces")


def _number(obj: dict, key: str = "number") -> str:
    return _match(obj, key, NUMBER_RE, "a ticket number like K017")


def _service(obj: dict, key: str = "service") -> str:
    return _match(obj, key, SERVICE_RE, "a service key like K")


def check_request(obj: dict) -> tuple[str, str, bool]:
    """A kiosk request: returns (id, service, priority)."""
    rid = _id(obj)
    service = _service(obj)
    priority = bool(_bool(obj, "priority", required=False))
    _bool(obj, "force", required=False)          # read by the controller for the info desk only
    return rid, service, priority


def request_forced(obj: dict) -> bool:
    """Whether a (checked) kiosk request asks to issue past a closed service (info desk only)."""
    return obj.get("force") is True


def check_printed(obj: dict) -> tuple[str, str, bool, str | None]:
    """A kiosk print report: returns (id, number, ok, error)."""
    rid = _id(obj)
    number = _number(obj)
    ok = _bool(obj, "ok")
    error = _str(obj, "error", None, 0, 200, required=False)
    return rid, number, ok, error


@dataclass(frozen=True)
class Command:
    """A desk command as received on ``desk/<desk>/command``."""

    id: str
    action: str
    service: str | None = None
    number: str | None = None
    source: str | None = None       # "alarm": what raised it (keypad, button)


def check_command(obj: dict) -> Command:
    """A desk command: id, action and the action's own fields."""
    cid = _id(obj)
    action = obj.get("action")
    if not isinstance(action, str):
        raise PayloadError("missing field 'action'" if action is None else "field 'action' must be a string")
    if action not in ACTIONS:
        raise PayloadError(f"unknown action {action[:20]!r}; allowed: {', '.join(ACTIONS)}")
    service = number = None
    if action == "alarm":
        src = obj.get("source", "keypad")
        if src not in ALARM_SOURCES:
            raise PayloadError(f"field 'source' must be one of {', '.join(ALARM_SOURCES)}")
        return Command(cid, action, source=src)
    if action == "transfer":
        service = _service(obj)
    if action == "call":
        number = _number(obj)
    return Command(cid, action, service, number)


def check_ticket_reply(obj: dict) -> dict:
    """A ticket reply as a kiosk receives it."""
    _str(obj, "id", REQ_ID_RE)
    if _bool(obj, "ok"):
        t = obj.get("ticket")
        if not isinstance(t, dict):
            raise PayloadError("missing field 'ticket'")
        _number(t)
        _service(t)
        _int(t, "issued_at")
        _int(t, "ahead", required=False)
        _int(t, "eta_min", required=False)
    else:
        _str(obj, "error", None, 1, 200)
    return obj


def check_call(obj: dict) -> dict:
    """A ``call`` event as a display receives it."""
    _str(obj, "id", REQ_ID_RE)
    _number(obj)
    _str(obj, "desk", ID_RE)
    _service(obj)
    _int(obj, "at")
    _bool(obj, "recall")
    _bool(obj, "priority", required=False)
    return obj


def check_board(obj: dict) -> dict:
    """The retained ``board`` state as a display receives it."""
    calls = obj.get("calls")
    if not isinstance(calls, list) or len(calls) > BOARD_CALLS:
        raise PayloadError(f"field 'calls' must be a list of at most {BOARD_CALLS}")
    for c in calls:
        if not isinstance(c, dict):
            raise PayloadError("each call must be an object")
        _number(c)
        _str(c, "desk", ID_RE)
        _int(c, "at")
        _bool(c, "priority", required=False)
    waiting = obj.get("waiting")
    if not isinstance(waiting, dict) or not all(
            isinstance(k, str) and SERVICE_RE.match(k) and isinstance(v, int) and not isinstance(v, bool)
            for k, v in waiting.items()):
        raise PayloadError("field 'waiting' must map service keys to counts")
    _int(obj, "updated_at")
    return obj


def check_queue(obj: dict) -> dict:
    """The retained ``queue`` state as kiosks and displays receive it."""
    services = obj.get("services")
    if not isinstance(services, dict):
        raise PayloadError("field 'services' must be an object")
    for k, s in services.items():
        if not isinstance(k, str) or not SERVICE_RE.match(k) or not isinstance(s, dict):
            raise PayloadError("field 'services' must map service keys to objects")
        _int(s, "waiting")
        _int(s, "eta_min", required=False)
        _bool(s, "open")
        _str(s, "closed", None, 1, 32, required=False)     # why no ticket is issued (CLOSED_REASONS)
        _str(s, "note", ID_RE, 1, 32, required=False)       # staff closed it: the key of their reason
    _int(obj, "updated_at")
    return obj


def check_desk_state(obj: dict) -> dict:
    """A retained ``desk/<desk>/state``."""
    _str(obj, "desk", ID_RE)
    if obj.get("status") not in DESK_STATES:
        raise PayloadError(f"field 'status' must be one of {', '.join(DESK_STATES)}")
    if obj.get("ticket") is not None:
        _number(obj, "ticket")
    _int(obj, "since")
    return obj


def check_status(obj: dict) -> dict:
    """A retained ``status/<role>/<device>``."""
    _bool(obj, "online")
    _int(obj, "at", required=False)
    if "printer" in obj and obj["printer"] not in PRINTER_STATES:
        raise PayloadError(f"field 'printer' must be one of {', '.join(PRINTER_STATES)}")
    return obj


# ---------------------------------------------------------------- builders

def error_reply(req_id: str | None, reason: str) -> dict[str, Any]:
    """The answer to a request or command that was refused."""
    out: dict[str, Any] = {"v": VERSION, "ok": False, "error": reason}
    if req_id is not None:
        out["id"] = req_id
    return out


def ticket_number(service: str, seq: int) -> str:
    """``K`` and 17 -> ``K017``."""
    return f"{service}{seq:03d}"


def spoken_number(number: str) -> str:
    """``K017`` -> ``K 17``: how a number is read out (letter apart, no leading zeros)."""
    m = NUMBER_RE.match(number)
    if not m:
        return number
    return f"{m.group(1)} {int(m.group(2))}"


# ---------------------------------------------------------------- issuing rules and the silent alarm
# (docs/protocol.md "Closed services" and "Silent alarm"; docs/rules.md)

CLOSED_REASONS = ("hours", "closed_day", "last_ticket", "quota", "capacity", "staff")
ALARM_SOURCES = ("keypad", "button")
STAFF_ACTIONS = ("close_service", "reopen_service", "clear_alarm")


@dataclass(frozen=True)
class StaffCommand:
    """A staff command on ``staff/<device>/command``, answered on ``staff/<device>/reply``."""

    id: str
    action: str
    service: str | None = None      # close_service, reopen_service
    reason: str = ""                # close_service: a key of the site's [issuing.reasons] (shown on the board)
    desk: str | None = None         # clear_alarm: one desk (None: every active alarm)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": VERSION, "id": self.id, "action": self.action}
        if self.service is not None:
            out["service"] = self.service
        if self.reason:
            out["reason"] = self.reason
        if self.desk is not None:
            out["desk"] = self.desk
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "StaffCommand":
        cid = _id(obj)
        action = obj.get("action")
        if action not in STAFF_ACTIONS:
            raise PayloadError(f"unknown action {str(action)[:20]!r}; allowed: {', '.join(STAFF_ACTIONS)}")
        if action == "clear_alarm":
            desk = _str(obj, "desk", ID_RE, 1, 32, required=False)
            return cls(cid, action, desk=desk)
        service = _service(obj)
        reason = _str(obj, "reason", ID_RE, 1, 32, required=False) or ""
        return cls(cid, action, service=service, reason=reason)


@dataclass(frozen=True)
class StaffReply:
    """The answer to a :class:`StaffCommand` (``cleared``: the desks whose alarm was cleared)."""

    id: str
    ok: bool
    error: str | None = None
    cleared: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        if not self.ok:
            return error_reply(self.id, self.error or "refused")
        out: dict[str, Any] = {"v": VERSION, "id": self.id, "ok": True}
        if self.cleared is not None:
            out["cleared"] = list(self.cleared)
        return out

    @classmethod
    def from_json(cls, obj: dict) -> "StaffReply":
        rid = _str(obj, "id", REQ_ID_RE)
        if not _bool(obj, "ok"):
            return cls(rid, False, _str(obj, "error", None, 1, 200))
        cleared = obj.get("cleared")
        if cleared is not None and not (isinstance(cleared, list) and all(isinstance(d, str) for d in cleared)):
            raise PayloadError("field 'cleared' must be a list of desk ids")
        return cls(rid, True, cleared=tuple(cleared) if cleared is not None else None)


@dataclass(frozen=True)
class AlarmInfo:
    """One alarm as ``alarm/state`` and ``alarm/event`` carry it."""

    id: str
    desk: str
    source: str
    raised_at: int
    cleared_at: int | None = None
    cleared_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "desk": self.desk, "source": self.source, "raised_at": self.raised_at}
        if self.cleared_at is not None:
            out["cleared_at"] = self.cleared_at
            out["cleared_by"] = self.cleared_by
        return out

    @classmethod
    def from_json(cls, obj: Any) -> "AlarmInfo":
        if not isinstance(obj, dict):
            raise PayloadError("an alarm must be an object")
        return cls(_str(obj, "id", REQ_ID_RE), _str(obj, "desk", ID_RE, 1, 32), _str(obj, "source", None, 1, 16),
                   _int(obj, "raised_at"), _int(obj, "cleared_at", required=False),
                   _str(obj, "cleared_by", None, 1, 64, required=False))


@dataclass(frozen=True)
class AlarmState:
    """Retained ``alarm/state``: every active alarm, oldest first (empty: all clear)."""

    active: tuple[AlarmInfo, ...]
    updated_at: int

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "active": [a.to_json() for a in self.active], "updated_at": self.updated_at}

    @classmethod
    def from_json(cls, obj: dict) -> "AlarmState":
        active = obj.get("active")
        if not isinstance(active, list):
            raise PayloadError("field 'active' must be a list")
        return cls(tuple(AlarmInfo.from_json(a) for a in active), _int(obj, "updated_at"))


@dataclass(frozen=True)
class AlarmEvent:
    """``alarm/event``: ``event`` is ``raised`` or ``cleared``."""

    event: str
    alarm: AlarmInfo
    at: int

    def to_json(self) -> dict[str, Any]:
        return {"v": VERSION, "event": self.event, **self.alarm.to_json(), "at": self.at}

    @classmethod
    def from_json(cls, obj: dict) -> "AlarmEvent":
        event = obj.get("event")
        if event not in ("raised", "cleared"):
            raise PayloadError("field 'event' must be raised or cleared")
        return cls(event, AlarmInfo.from_json(obj), _int(obj, "at"))
