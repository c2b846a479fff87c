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
ACTIONS = ("next", "recall", "noshow", "done", "pause", "resume", "transfer", "call")
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

    def arrival(self, desk: str) -> str:
        """An appointment customer has checked in for this desk (event)."""
        return f"{self.root}desk/{self._id(desk)}/arrival"

    def arrivals(self, desk: str) -> str:
        """The desk's checked-in appointments still waiting (retained)."""
        return f"{self.root}desk/{self._id(desk)}/arrivals"

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

    def parse(self, topic: str) -> tuple[str, str | None]:
        """Split an incoming topic into (kind, device id) with kind like 'kiosk/request'.

        Device ids may be anything here (the caller answers unknown ones); only the
        shape is checked. Raises PayloadError for a topic outside the protocol.
        """
        if not topic.startswith(self.root):
            raise PayloadError(f"topic outside {self.root}")
        parts = topic[len(self.root):].split("/")
        if len(parts) == 3 and parts[0] in ("kiosk", "desk"):
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
    return rid, service, priority


@dataclass(frozen=True)
class Checkin:
    """An appointment check-in as received on ``kiosk/<kiosk>/request`` (``checkin`` instead of ``service``)."""

    id: str
    code: str   # as typed or scanned: the controller checks and normalises it (and says why it is refused)


CHECKIN_RESULTS = ("checked_in", "early", "late")
CHECKIN_REFUSALS = ("unknown", "cancelled", "used", "other_day", "invalid")


def check_request_or_checkin(obj: dict) -> "tuple[str, str, bool] | Checkin":
    """A kiosk request: a ticket (see :func:`check_request`) or, with ``checkin``, an appointment check-in."""
    if "checkin" in obj:
        rid = _id(obj)
        code = _str(obj, "checkin", None, 1, 64)
        return Checkin(rid, code)
    return check_request(obj)


def checkin_reply(req_id: str, result: str, time: str, **fields: Any) -> dict[str, Any]:
    """The answer to a check-in that was accepted (``checked_in``), early or late (fields: number, from, ...)."""
    if result not in CHECKIN_RESULTS:
        raise ValueError(f"unknown check-in result {result!r}")
    return {"v": VERSION, "id": req_id, "ok": True,
            "appointment": {"result": result, "time": time, **{k: v for k, v in fields.items() if v is not None}}}


def checkin_refusal(req_id: str | None, refusal: str, reason: str) -> dict[str, Any]:
    """The answer to a check-in that was refused (nothing issued, nothing to print)."""
    out = error_reply(req_id, reason)
    out["refusal"] = refusal if refusal in CHECKIN_REFUSALS else "invalid"
    return out


def check_checkin_reply(obj: dict) -> dict:
    """A check-in answer as a kiosk receives it (``ok`` with ``appointment``, or a refusal)."""
    _str(obj, "id", REQ_ID_RE)
    if not _bool(obj, "ok"):
        _str(obj, "error", None, 1, 200)
        return obj
    a = obj.get("appointment")
    if not isinstance(a, dict):
        raise PayloadError("missing field 'appointment'")
    if a.get("result") not in CHECKIN_RESULTS:
        raise PayloadError(f"field 'result' must be one of {', '.join(CHECKIN_RESULTS)}")
    _match(a, "time", re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"), "a local time HH:MM")
    if a["result"] == "checked_in":
        _number(a)
        _str(a, "desk", ID_RE)
    if a["result"] == "early":
        _match(a, "from", re.compile(r"^([01]\d|2[0-3]):[0-5]\d$"), "a local time HH:MM")
    for k in ("floor", "room"):
        _str(a, k, None, 1, 16, required=False)
    if "ticket" in obj:
        check_ticket_reply({"id": obj["id"], "ok": True, "ticket": obj["ticket"]})
    return obj


def arrival_event(number: str, desk: str, time: str, service: str, at: int, note: str = "") -> dict[str, Any]:
    """``desk/<desk>/arrival``: the customer of an appointment has checked in (never a name)."""
    out: dict[str, Any] = {"v": VERSION, "id": f"{number}-{at}", "number": number, "desk": desk, "time": time,
                           "service": service, "at": at}
    if note:
        out["note"] = note
    return out


ARRIVALS_LISTED = 20   # keeps desk/<desk>/arrivals well under MAX_PAYLOAD


def arrivals_state(desk: str, waiting: list[dict[str, Any]], now: int, more: int = 0) -> dict[str, Any]:
    """Retained ``desk/<desk>/arrivals``: checked-in appointments of the desk not yet called, by time
    (the first :data:`ARRIVALS_LISTED`; ``more`` counts the rest)."""
    out: dict[str, Any] = {"v": VERSION, "desk": desk, "waiting": waiting[:ARRIVALS_LISTED], "updated_at": now}
    if more > 0:
        out["more"] = more
    return out


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


def check_command(obj: dict) -> Command:
    """A desk command: id, action and the action's own fields."""
    cid = _id(obj)
    action = obj.get("action")
    if not isinstance(action, str):
        raise PayloadError("missing field 'action'" if action is None else "field 'action' must be a string")
    if action not in ACTIONS:
        raise PayloadError(f"unknown action {action[:20]!r}; allowed: {', '.join(ACTIONS)}")
    service = number = None
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
