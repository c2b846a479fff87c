"""The aufruf wire protocol, version 1: topics and typed messages.

Every device and third-party client relies on this contract (docs/protocol.md).
:class:`Topics` builds every topic of a site and parses incoming ones. Each
message is a frozen dataclass (:class:`TicketRequest`, :class:`Command`,
:class:`Board`, ...) with ``to_json()`` for publishing and ``from_json()`` for
reading; ``from_json`` raises :class:`PayloadError` with the reason that is sent
back to the requester. Nothing outside this module writes ``"v": 1``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from .errors import PayloadError

VERSION = 1
MAX_PAYLOAD = 4096
ID_RE = re.compile(r"^[a-z0-9-]{1,32}$")          # site, device and desk ids
REQ_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")    # request and command ids
NUMBER_RE = re.compile(r"^([A-Z])(\d{3})$")
SERVICE_RE = re.compile(r"^[A-Z]$")
ACTIONS = ("next", "recall", "noshow", "done", "pause", "resume", "transfer", "call", "alarm")
ROLES = ("kiosk", "controller", "display", "keypad", "staff", "web")
PRINTER_STATES = ("ok", "paper_low", "paper_out", "offline")
DESK_STATES = ("serving", "idle", "paused")
STATUS_STALE_MS = 180_000
COMMAND_MAX_AGE_MS = 5_000   # a command or request with a "sent_at" older than this is not carried out
BOARD_CALLS = 10
LINE_MAX = 300                # numbers listed in a retained line/<service>; the rest are counted
TICKET_STATES = ("waiting", "called", "done", "noshow", "void", "expired")
WEB_ACTIONS = ("leave",)
KEY_RE = re.compile(r"^[a-z2-7]{10}$")            # a ticket page's key (aufruf/ticketkey.py)
DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Route:
    """Where an incoming topic points: ``kind`` like ``desk/command`` and the device id (or None)."""

    kind: str
    device: str | None = None


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
        """An appointment customer has checked in for this desk (event, addition)."""
        return f"{self.root}desk/{self._id(desk)}/arrival"

    def arrivals(self, desk: str) -> str:
        """The desk's checked-in appointments still waiting (retained, addition)."""
        return f"{self.root}desk/{self._id(desk)}/arrivals"

    def status(self, role: str, device: str) -> str:
        if role not in ROLES:
            raise PayloadError(f"unknown role {role!r}")
        return f"{self.root}status/{role}/{self._id(device)}"

    @property
    def bridge_state(self) -> str:
        """At a central broker: Mosquitto's notification of this site's bridge (``1`` up, ``0`` down,
        the latter the bridge's will), outside the site's tree (broker_config/bridge.conf.example)."""
        return f"aufruf-bridge/{self.site}/state"

    def web_command(self, web: str) -> str:
        return f"{self.root}web/{self._id(web)}/command"

    def web_reply(self, web: str) -> str:
        return f"{self.root}web/{self._id(web)}/reply"

    def line(self, service: str) -> str:
        if not SERVICE_RE.match(service):
            raise PayloadError(f"invalid service key {service!r}")
        return f"{self.root}line/{service}"

    def ticket_state(self, number: str) -> str:
        if not NUMBER_RE.match(number):
            raise PayloadError(f"invalid ticket number {number!r}")
        return f"{self.root}tickets/{number}"

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

    # filters (wildcards) for subscriptions

    @property
    def all_requests(self) -> str:
        return f"{self.root}kiosk/+/request"

    @property
    def all_printed(self) -> str:
        return f"{self.root}kiosk/+/printed"

    @property
    def all_commands(self) -> str:
        return f"{self.root}desk/+/command"

    @property
    def all_replies(self) -> str:
        return f"{self.root}desk/+/reply"

    @property
    def all_desk_states(self) -> str:
        return f"{self.root}desk/+/state"

    @property
    def all_arrivals(self) -> str:
        return f"{self.root}desk/+/arrivals"

    @property
    def all_web_commands(self) -> str:
        return f"{self.root}web/+/command"

    @property
    def all_lines(self) -> str:
        return f"{self.root}line/+"

    @property
    def all_tickets(self) -> str:
        return f"{self.root}tickets/+"

    def role_status(self, role: str) -> str:
        """Every device of one role: ``status/<role>/+``."""
        if role not in ROLES:
            raise PayloadError(f"unknown role {role!r}")
        return f"{self.root}status/{role}/+"

    @property
    def alarm_state(self) -> str:
        """Retained, staff only: the active silent alarms (docs/rules.md)."""
        return f"{self.root}alarm/state"

    @property
    def alarm_event(self) -> str:
        """Staff only: one event per raised or cleared alarm."""
        return f"{self.root}alarm/event"

    @property
    def all_alarm(self) -> str:
        return f"{self.root}alarm/#"

    def staff_command(self, device: str) -> str:
        return f"{self.root}staff/{self._id(device)}/command"

    def staff_reply(self, device: str) -> str:
        return f"{self.root}staff/{self._id(device)}/reply"

    @property
    def all_staff_commands(self) -> str:
        return f"{self.root}staff/+/command"

    @property
    def everything(self) -> str:
        return f"{self.root}#"

    def relative(self, topic: str) -> str:
        """``aufruf/<site>/desk/3/state`` -> ``desk/3/state``."""
        if not topic.startswith(self.root):
            raise PayloadError(f"topic outside {self.root}")
        return topic[len(self.root):]

    def parse(self, topic: str) -> Route:
        """Split an incoming topic into a :class:`Route` with kind like 'kiosk/request'.

        Device ids may be anything here (the caller answers unknown ones); only the
        shape is checked. Raises PayloadError for a topic outside the protocol.
        """
        if not topic.startswith(self.root):
            raise PayloadError(f"topic outside {self.root}")
        parts = topic[len(self.root):].split("/")
        if len(parts) == 3 and parts[0] in ("kiosk", "desk", "web", "staff"):
            return Route(f"{parts[0]}/{parts[2]}", parts[1])
        if len(parts) == 3 and parts[0] == "status":
            return Route(f"status/{parts[1]}", parts[2])
        if len(parts) == 1:
            return Route(parts[0])
        if len(parts) == 2 and parts[0] in ("stats", "alarm"):
            return Route(topic[len(self.root):])
        if len(parts) == 2 and parts[0] in ("line", "tickets"):
            return Route(parts[0], parts[1])
        raise PayloadError("unknown topic")


def bridge_up(raw: bytes) -> bool:
    """Mosquitto's bridge notification payload: ``1`` (connected) or ``0`` (gone); else PayloadError."""
    if raw in (b"1", b"0"):
        return raw == b"1"
    raise PayloadError(f"bridge state must be 1 or 0, got {raw[:20]!r}")


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



# ---------------------------------------------------------------- typed messages

class Message:
    """A protocol message: a frozen value, built and checked here alone.

    ``to_dict()`` gives the wire object (with ``"v": 1``), ``to_json()`` its bytes;
    ``from_dict()`` checks an already decoded object and ``from_json()`` the raw
    payload, both raising :class:`PayloadError` with the reason sent back.
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every message defines it
        raise NotImplementedError

    def to_json(self) -> bytes:
        return encode(self.to_dict())

    @classmethod
    def from_dict(cls, obj: dict[str, Any]):  # pragma: no cover - every message defines it
        raise NotImplementedError

    @classmethod
    def from_json(cls, raw: bytes):
        return cls.from_dict(decode(raw))


def _v(**fields: Any) -> dict[str, Any]:
    return {"v": VERSION, **fields}


@dataclass(frozen=True)
class TicketRequest(Message):
    """``kiosk/<kiosk>/request``: a kiosk (or the info desk) asks for a ticket."""

    id: str
    service: str
    priority: bool = False
    sent_at: int | None = None      # addition: ms; too old -> not carried out (see expired())
    force: bool = False      # the info desk issues past a closed service (docs/rules.md)

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, service=self.service)
        if self.priority:
            out["priority"] = True
        if self.sent_at is not None:
            out["sent_at"] = self.sent_at
        if self.force:
            out["force"] = True
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "TicketRequest":
        return cls(_id(obj), _service(obj), bool(_bool(obj, "priority", required=False)),
                   _int(obj, "sent_at", required=False), bool(_bool(obj, "force", required=False)))

    def expired(self, now: int, max_age_ms: int = COMMAND_MAX_AGE_MS) -> str | None:
        """Why this request must not be carried out at ``now`` (None: carry it out)."""
        return expired(self.sent_at, now, max_age_ms)


@dataclass(frozen=True)
class TicketInfo(Message):
    """The ticket inside a positive :class:`TicketReply`."""

    number: str
    service: str
    issued_at: int
    ahead: int | None = None
    eta_min: int | None = None
    priority: bool = False
    key: str | None = None  # addition: the key of the ticket's page, for the QR (docs/web.md)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "service": self.service, "issued_at": self.issued_at}
        if self.ahead is not None:
            out["ahead"] = self.ahead
        if self.eta_min is not None:
            out["eta_min"] = self.eta_min
        if self.priority:
            out["priority"] = True
        if self.key is not None:
            out["key"] = self.key
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "TicketInfo":
        if not isinstance(obj, dict):
            raise PayloadError("missing field 'ticket'")
        return cls(_number(obj), _service(obj), _int(obj, "issued_at"), _int(obj, "ahead", required=False),
                   _int(obj, "eta_min", required=False), bool(_bool(obj, "priority", required=False)),
                   _str(obj, "key", KEY_RE, required=False))


@dataclass(frozen=True)
class Refusal(Message):
    """The answer to a request or command that could not even be read (``ok: false``).

    Read by kiosks as a :class:`TicketReply` and by desk clients as a :class:`CommandReply`.
    """

    id: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return _error_reply(self.id, self.error)


@dataclass(frozen=True)
class TicketReply(Message):
    """``kiosk/<kiosk>/ticket``: the controller's answer; ``ticket`` when issued, else ``error``."""

    id: str | None
    ticket: TicketInfo | None = None
    error: str | None = None
    closed: str | None = None    # a refusal because the service is closed now: the reason code (CLOSED_REASONS)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            out = _error_reply(self.id, self.error)
            if self.closed is not None:
                out["closed"] = self.closed
            return out
        return _v(id=self.id, ok=True, ticket=self.ticket.to_dict() if self.ticket else None)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "TicketReply":
        rid = _str(obj, "id", REQ_ID_RE)
        if _bool(obj, "ok"):
            return cls(rid, TicketInfo.from_dict(obj.get("ticket")))
        return cls(rid, None, _str(obj, "error", None, 1, 200), _str(obj, "closed", None, 1, 32, required=False))


@dataclass(frozen=True)
class PrintReport(Message):
    """``kiosk/<kiosk>/printed``: the kiosk printed the ticket, or could not (which voids it)."""

    id: str
    number: str
    ok: bool
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, number=self.number, ok=self.ok)
        if self.error:
            out["error"] = self.error
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "PrintReport":
        return cls(_id(obj), _number(obj), bool(_bool(obj, "ok")), _str(obj, "error", None, 0, 200, required=False))


@dataclass(frozen=True)
class Command(Message):
    """``desk/<desk>/command``: next, recall, noshow, done, pause, resume, transfer, call."""

    id: str
    action: str
    service: str | None = None
    number: str | None = None
    sent_at: int | None = None      # addition: ms; too old -> not carried out (see expired())
    source: str | None = None      # "alarm": what raised it (ALARM_SOURCES; absent: keypad)

    def __post_init__(self) -> None:
        if self.source is not None and (self.action != "alarm" or self.source not in ALARM_SOURCES):
            raise PayloadError(f"field 'source' must be one of {', '.join(ALARM_SOURCES)} (action alarm only)")
        if self.action not in ACTIONS:
            raise PayloadError(f"unknown action {self.action[:20]!r}; allowed: {', '.join(ACTIONS)}")
        if self.action == "transfer" and not (isinstance(self.service, str) and SERVICE_RE.match(self.service)):
            raise PayloadError("field 'service' must be a service key like K")
        if self.action == "call" and not (isinstance(self.number, str) and NUMBER_RE.match(self.number)):
            raise PayloadError("field 'number' must be a ticket number like K017")

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, action=self.action)
        if self.service is not None:
            out["service"] = self.service
        if self.number is not None:
            out["number"] = self.number
        if self.sent_at is not None:
            out["sent_at"] = self.sent_at
        if self.source is not None:
            out["source"] = self.source
        return out

    def expired(self, now: int, max_age_ms: int = COMMAND_MAX_AGE_MS) -> str | None:
        """Why this command must not be carried out at ``now`` (None: carry it out)."""
        return expired(self.sent_at, now, max_age_ms)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "Command":
        cid = _id(obj)
        action = obj.get("action")
        if not isinstance(action, str):
            raise PayloadError("missing field 'action'" if action is None else "field 'action' must be a string")
        if action not in ACTIONS:
            raise PayloadError(f"unknown action {action[:20]!r}; allowed: {', '.join(ACTIONS)}")
        service = _service(obj) if action == "transfer" else None
        number = _number(obj) if action == "call" else None
        source = None
        if action == "alarm" and "source" in obj:
            source = obj["source"]
            if source not in ALARM_SOURCES:
                raise PayloadError(f"field 'source' must be one of {', '.join(ALARM_SOURCES)}")
        return cls(cid, action, service, number, sent_at=_int(obj, "sent_at", required=False), source=source)


@dataclass(frozen=True)
class CommandReply(Message):
    """``desk/<desk>/reply``: the command was carried out (``ticket``: the desk's ticket now) or refused."""

    id: str | None
    ticket: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return _error_reply(self.id, self.error)
        return _v(id=self.id, ok=True, ticket=self.ticket)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "CommandReply":
        rid = _str(obj, "id", REQ_ID_RE, required=False)
        if _bool(obj, "ok"):
            return cls(rid, _number(obj, "ticket") if obj.get("ticket") is not None else None)
        return cls(rid, None, _str(obj, "error", None, 1, 200))


@dataclass(frozen=True)
class DeskState(Message):
    """Retained ``desk/<desk>/state``."""

    desk: str
    status: str
    ticket: str | None
    since: int

    def to_dict(self) -> dict[str, Any]:
        return _v(desk=self.desk, status=self.status, ticket=self.ticket, since=self.since)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "DeskState":
        desk = _str(obj, "desk", ID_RE)
        status = obj.get("status")
        if status not in DESK_STATES:
            raise PayloadError(f"field 'status' must be one of {', '.join(DESK_STATES)}")
        ticket = _number(obj, "ticket") if obj.get("ticket") is not None else None
        return cls(desk, status, ticket, _int(obj, "since"))


@dataclass(frozen=True)
class CallEvent(Message):
    """``call``: a ticket is called to a desk (``recall``: announced again)."""

    id: str
    number: str
    desk: str
    service: str
    at: int
    recall: bool = False
    priority: bool = False

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, number=self.number, desk=self.desk, service=self.service, at=self.at,
                 recall=self.recall)
        if self.priority:
            out["priority"] = True
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "CallEvent":
        return cls(_str(obj, "id", REQ_ID_RE), _number(obj), _str(obj, "desk", ID_RE), _service(obj),
                   _int(obj, "at"), bool(_bool(obj, "recall")), bool(_bool(obj, "priority", required=False)))


@dataclass(frozen=True)
class BoardCall:
    """One entry of the board's list of calls."""

    number: str
    desk: str
    at: int
    priority: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"number": self.number, "desk": self.desk, "at": self.at}
        if self.priority:
            out["priority"] = True
        return out

    @classmethod
    def from_dict(cls, obj: Any) -> "BoardCall":
        if not isinstance(obj, dict):
            raise PayloadError("each call must be an object")
        return cls(_number(obj), _str(obj, "desk", ID_RE), _int(obj, "at"),
                   bool(_bool(obj, "priority", required=False)))


@dataclass(frozen=True)
class Board(Message):
    """Retained ``board``: the last calls (newest first, at most 10) and the waiting counts."""

    calls: tuple[BoardCall, ...]
    waiting: Mapping[str, int]
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(calls=[c.to_dict() for c in self.calls], waiting=dict(self.waiting), updated_at=self.updated_at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "Board":
        calls = obj.get("calls")
        if not isinstance(calls, list) or len(calls) > BOARD_CALLS:
            raise PayloadError(f"field 'calls' must be a list of at most {BOARD_CALLS}")
        waiting = obj.get("waiting")
        if not isinstance(waiting, dict) or not all(
                isinstance(k, str) and SERVICE_RE.match(k) and isinstance(v, int) and not isinstance(v, bool)
                for k, v in waiting.items()):
            raise PayloadError("field 'waiting' must map service keys to counts")
        return cls(tuple(BoardCall.from_dict(c) for c in calls), dict(waiting), _int(obj, "updated_at"))


@dataclass(frozen=True)
class ServiceQueue:
    """One service in the retained ``queue``."""

    waiting: int
    open: bool
    eta_min: int | None = None
    oldest_at: int | None = None  # addition: when the longest-waiting ticket was issued (while any wait)
    closed: str | None = None    # why it issues no ticket now (CLOSED_REASONS; docs/rules.md)
    note: str | None = None      # staff closed it: the key of their reason in [issuing.reasons]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"waiting": self.waiting, "open": self.open}
        if self.eta_min is not None:
            out["eta_min"] = self.eta_min
        if self.oldest_at is not None:
            out["oldest_at"] = self.oldest_at
        if self.closed is not None:
            out["closed"] = self.closed
        if self.note is not None:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "ServiceQueue":
        return cls(_int(obj, "waiting"), bool(_bool(obj, "open")), _int(obj, "eta_min", required=False),
                   oldest_at=_int(obj, "oldest_at", required=False),
                   closed=_str(obj, "closed", None, 1, 32, required=False),
                   note=_str(obj, "note", ID_RE, 1, 32, required=False))


@dataclass(frozen=True)
class QueueState(Message):
    """Retained ``queue``: waiting, estimate and open per service."""

    services: Mapping[str, ServiceQueue]
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(services={k: s.to_dict() for k, s in self.services.items()}, updated_at=self.updated_at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "QueueState":
        services = obj.get("services")
        if not isinstance(services, dict):
            raise PayloadError("field 'services' must be an object")
        out = {}
        for k, s in services.items():
            if not isinstance(k, str) or not SERVICE_RE.match(k) or not isinstance(s, dict):
                raise PayloadError("field 'services' must map service keys to objects")
            out[k] = ServiceQueue.from_dict(s)
        return cls(out, _int(obj, "updated_at"))


_STATUS_PROCESS = ("instance", "host", "pid")
_STATUS_OWN = ("v", "online", "at", "printer") + _STATUS_PROCESS


@dataclass(frozen=True)
class Status(Message):
    """Retained ``status/<role>/<device>``; ``extra`` holds a role's own fields (``day``, ``waiting``, ...)."""

    online: bool
    at: int | None = None
    printer: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    # addition: the process that sends it (aufruf.instance refuses a second one with the same id)
    instance: str | None = None
    host: str | None = None
    pid: int | None = None

    def __post_init__(self) -> None:
        if self.printer is not None and self.printer not in PRINTER_STATES:
            raise PayloadError(f"field 'printer' must be one of {', '.join(PRINTER_STATES)}")

    def to_dict(self) -> dict[str, Any]:
        out = _v(online=self.online)
        if self.at is not None:
            out["at"] = self.at
        if self.printer is not None:
            out["printer"] = self.printer
        for k in _STATUS_PROCESS:
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        out.update({k: v for k, v in self.extra.items() if k not in _STATUS_OWN})
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "Status":
        online = bool(_bool(obj, "online"))
        at = _int(obj, "at", required=False)
        printer = obj.get("printer")
        if printer is not None and printer not in PRINTER_STATES:
            raise PayloadError(f"field 'printer' must be one of {', '.join(PRINTER_STATES)}")
        extra = {k: v for k, v in obj.items() if k not in _STATUS_OWN}
        return cls(online, at, printer, extra, _str(obj, "instance", None, 1, 64, required=False),
                   _str(obj, "host", None, 1, 255, required=False), _int(obj, "pid", required=False))

    def age_ms(self, now: int) -> int | None:
        """How old the status is (None: it carries no time)."""
        return None if self.at is None else now - self.at

    def is_stale(self, now: int) -> bool:
        """A status older than 3 minutes (or without a time) counts as unknown."""
        age = self.age_ms(now)
        return age is None or age > STATUS_STALE_MS


@dataclass(frozen=True)
class ServiceFigures:
    """One service in ``stats/today``."""

    issued: int
    served: int
    noshow: int
    waiting: int
    median_wait_min: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"issued": self.issued, "served": self.served, "noshow": self.noshow, "waiting": self.waiting,
                "median_wait_min": self.median_wait_min}

    @classmethod
    def from_dict(cls, obj: Any) -> "ServiceFigures":
        if not isinstance(obj, dict):
            raise PayloadError("each service must be an object")
        return cls(_int(obj, "issued"), _int(obj, "served"), _int(obj, "noshow"), _int(obj, "waiting"),
                   _minutes(obj, "median_wait_min"))


@dataclass(frozen=True)
class StatsToday(Message):
    """Retained ``stats/today``: the service day so far (no ticket numbers)."""

    site: str
    name: str
    day: str | None
    services: Mapping[str, ServiceFigures]
    median_wait_min: float | None
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(site=self.site, name=self.name, day=self.day,
                  services={k: s.to_dict() for k, s in self.services.items()},
                  median_wait_min=self.median_wait_min, updated_at=self.updated_at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "StatsToday":
        services = obj.get("services")
        if not isinstance(services, dict):
            raise PayloadError("field 'services' must be an object")
        day = obj.get("day")
        if day is not None and not isinstance(day, str):
            raise PayloadError("field 'day' must be a date or null")
        return cls(_str(obj, "site", ID_RE), _str(obj, "name", None, 0, 200), day,
                   {k: ServiceFigures.from_dict(s) for k, s in services.items() if isinstance(k, str)},
                   _minutes(obj, "median_wait_min"), _int(obj, "updated_at"))


@dataclass(frozen=True)
class WebCommand(Message):
    """``web/<web>/command``: a ticket's holder, through ``aufruf web``, gives it back (``leave``).

    The answer is a :class:`CommandReply` on ``web/<web>/reply``.
    """

    id: str
    action: str
    number: str
    key: str

    def __post_init__(self) -> None:
        if self.action not in WEB_ACTIONS:
            raise PayloadError(f"unknown action {self.action[:20]!r}; allowed: {', '.join(WEB_ACTIONS)}")

    def to_dict(self) -> dict[str, Any]:
        return _v(id=self.id, action=self.action, number=self.number, key=self.key)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "WebCommand":
        cid = _id(obj)
        action = obj.get("action")
        if not isinstance(action, str) or action not in WEB_ACTIONS:
            raise PayloadError(f"unknown action {str(action)[:20]!r}; allowed: {', '.join(WEB_ACTIONS)}")
        return cls(cid, action, _number(obj), _match(obj, "key", KEY_RE, "a ticket key (10 of a-z, 2-7)"))


@dataclass(frozen=True)
class Line(Message):
    """Retained ``line/<service>``: the waiting numbers of one service in call order, each with
    its estimate; at most ``LINE_MAX`` listed, ``more`` counts the rest."""

    service: str
    numbers: tuple[str, ...]
    eta_min: tuple[int | None, ...]
    more: int
    open: bool
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(service=self.service, numbers=list(self.numbers), eta_min=list(self.eta_min), more=self.more,
                  open=self.open, updated_at=self.updated_at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "Line":
        service = _service(obj)
        numbers = obj.get("numbers")
        etas = obj.get("eta_min")
        if not isinstance(numbers, list) or len(numbers) > LINE_MAX or not all(
                isinstance(n, str) and NUMBER_RE.match(n) for n in numbers):
            raise PayloadError(f"field 'numbers' must be a list of at most {LINE_MAX} ticket numbers")
        if not isinstance(etas, list) or len(etas) != len(numbers) or not all(
                e is None or (isinstance(e, int) and not isinstance(e, bool) and e >= 0) for e in etas):
            raise PayloadError("field 'eta_min' must list one estimate (or null) per number")
        return cls(service, tuple(numbers), tuple(etas), _int(obj, "more"), bool(_bool(obj, "open")),
                   _int(obj, "updated_at"))


@dataclass(frozen=True)
class TicketState(Message):
    """Retained ``tickets/<number>``: where one ticket of the service day is (numbers only)."""

    number: str
    day: str
    service: str
    state: str
    desk: str | None
    at: int

    def __post_init__(self) -> None:
        if self.state not in TICKET_STATES:
            raise PayloadError(f"field 'state' must be one of {', '.join(TICKET_STATES)}")

    def to_dict(self) -> dict[str, Any]:
        return _v(number=self.number, day=self.day, service=self.service, state=self.state, desk=self.desk,
                  at=self.at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "TicketState":
        number = _number(obj)
        day = _match(obj, "day", DAY_RE, "a service day like 2026-11-25")
        state = obj.get("state")
        if state not in TICKET_STATES:
            raise PayloadError(f"field 'state' must be one of {', '.join(TICKET_STATES)}")
        desk = _str(obj, "desk", ID_RE) if obj.get("desk") is not None else None
        return cls(number, day, _service(obj), state, desk, _int(obj, "at"))


# ---------------------------------------------------------------- appointments (additions)

CHECKIN_RESULTS = ("checked_in", "early", "late")
CHECKIN_REFUSALS = ("unknown", "cancelled", "used", "other_day", "invalid")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
ARRIVALS_LISTED = 20   # keeps desk/<desk>/arrivals well under MAX_PAYLOAD


def _hhmm(obj: dict, key: str) -> str:
    return _match(obj, key, HHMM_RE, "a local time HH:MM")


@dataclass(frozen=True)
class CheckinRequest(Message):
    """``kiosk/<kiosk>/request`` with ``checkin`` instead of ``service``: an appointment code, as scanned
    or typed (the controller checks and normalises it, and says why it is refused)."""

    id: str
    code: str
    sent_at: int | None = None      # as on TicketRequest: too old -> not carried out

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, checkin=self.code)
        if self.sent_at is not None:
            out["sent_at"] = self.sent_at
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "CheckinRequest":
        return cls(_id(obj), _str(obj, "checkin", None, 1, 64), _int(obj, "sent_at", required=False))

    def expired(self, now: int, max_age_ms: int = COMMAND_MAX_AGE_MS) -> str | None:
        return expired(self.sent_at, now, max_age_ms)


class KioskRequest:
    """What ``kiosk/<kiosk>/request`` holds: a :class:`TicketRequest`, or with ``checkin`` a :class:`CheckinRequest`."""

    @staticmethod
    def from_dict(obj: dict[str, Any]) -> "TicketRequest | CheckinRequest":
        return CheckinRequest.from_dict(obj) if "checkin" in obj else TicketRequest.from_dict(obj)


@dataclass(frozen=True)
class CheckinReply(Message):
    """``kiosk/<kiosk>/ticket``: the answer to a :class:`CheckinRequest`.

    ``result`` ``checked_in`` (with ``number`` and ``desk``, ``floor``/``room`` where the desk has them),
    ``early`` (``opens``: from when, sent as ``from``) or ``late`` (``ticket``: a normal ticket where the
    site gives one); or refused: ``error`` and ``refusal`` (one of :data:`CHECKIN_REFUSALS`).
    """

    id: str | None
    result: str | None = None
    time: str | None = None
    number: str | None = None
    desk: str | None = None
    floor: str | None = None
    room: str | None = None
    opens: str | None = None
    ticket: TicketInfo | None = None
    error: str | None = None
    refusal: str | None = None

    def __post_init__(self) -> None:
        if self.error is None and self.result not in CHECKIN_RESULTS:
            raise PayloadError(f"field 'result' must be one of {', '.join(CHECKIN_RESULTS)}")
        if self.error is not None and self.refusal not in CHECKIN_REFUSALS:
            object.__setattr__(self, "refusal", "invalid")

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def refused(cls, req_id: str | None, refusal: str, reason: str) -> "CheckinReply":
        return cls(req_id, error=reason, refusal=refusal)

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            out = _error_reply(self.id, self.error)
            out["refusal"] = self.refusal
            return out
        a: dict[str, Any] = {"result": self.result, "time": self.time}
        for k, v in (("number", self.number), ("from", self.opens), ("desk", self.desk), ("floor", self.floor),
                     ("room", self.room)):
            if v is not None:
                a[k] = v
        out = _v(id=self.id, ok=True, appointment=a)
        if self.ticket is not None:
            out["ticket"] = self.ticket.to_dict()
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "CheckinReply":
        rid = _str(obj, "id", REQ_ID_RE)
        if not _bool(obj, "ok"):
            refusal = obj.get("refusal")
            return cls(rid, error=_str(obj, "error", None, 1, 200),
                       refusal=refusal if refusal in CHECKIN_REFUSALS else "invalid")
        a = obj.get("appointment")
        if not isinstance(a, dict):
            raise PayloadError("missing field 'appointment'")
        result = a.get("result")
        if result not in CHECKIN_RESULTS:
            raise PayloadError(f"field 'result' must be one of {', '.join(CHECKIN_RESULTS)}")
        number = _number(a) if result == "checked_in" else None
        desk = _str(a, "desk", ID_RE, required=result == "checked_in")
        opens = _hhmm(a, "from") if result == "early" else None
        ticket = TicketInfo.from_dict(obj["ticket"]) if "ticket" in obj else None
        return cls(rid, result, _hhmm(a, "time"), number, desk, _str(a, "floor", None, 1, 16, required=False),
                   _str(a, "room", None, 1, 16, required=False), opens, ticket)


@dataclass(frozen=True)
class ArrivalEvent(Message):
    """``desk/<desk>/arrival``: the customer of an appointment has checked in (never a name)."""

    number: str
    desk: str
    time: str
    service: str
    at: int
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=f"{self.number}-{self.at}", number=self.number, desk=self.desk, time=self.time,
                 service=self.service, at=self.at)
        if self.note:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "ArrivalEvent":
        return cls(_number(obj), _str(obj, "desk", ID_RE), _hhmm(obj, "time"), _service(obj), _int(obj, "at"),
                   _str(obj, "note", None, 0, 200, required=False) or "")


@dataclass(frozen=True)
class WaitingAppointment:
    """One checked-in appointment in :class:`Arrivals`."""

    number: str
    time: str
    service: str
    checked_in_at: int

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "time": self.time, "service": self.service,
                "checked_in_at": self.checked_in_at}

    @classmethod
    def from_dict(cls, obj: Any) -> "WaitingAppointment":
        if not isinstance(obj, dict):
            raise PayloadError("each waiting appointment must be an object")
        return cls(_number(obj), _hhmm(obj, "time"), _service(obj), _int(obj, "checked_in_at"))


@dataclass(frozen=True)
class Arrivals(Message):
    """Retained ``desk/<desk>/arrivals``: the desk's checked-in appointments not yet called, by time
    (the first :data:`ARRIVALS_LISTED`; ``more`` counts the rest)."""

    desk: str
    waiting: tuple[WaitingAppointment, ...]
    updated_at: int
    more: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = _v(desk=self.desk, waiting=[w.to_dict() for w in self.waiting[:ARRIVALS_LISTED]],
                 updated_at=self.updated_at)
        if self.more > 0:
            out["more"] = self.more
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "Arrivals":
        waiting = obj.get("waiting")
        if not isinstance(waiting, list) or len(waiting) > ARRIVALS_LISTED:
            raise PayloadError(f"field 'waiting' must be a list of at most {ARRIVALS_LISTED}")
        return cls(_str(obj, "desk", ID_RE), tuple(WaitingAppointment.from_dict(w) for w in waiting),
                   _int(obj, "updated_at"), _int(obj, "more", required=False) or 0)


def _minutes(obj: dict, key: str) -> float | None:
    v = obj.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise PayloadError(f"field '{key}' must be a number of minutes or null")
    return float(v)


# ---------------------------------------------------------------- issuing rules and the silent alarm
# (docs/protocol.md "Staff commands" and "Silent alarm"; docs/rules.md)

CLOSED_REASONS = ("hours", "closed_day", "last_ticket", "quota", "capacity", "staff")
ALARM_SOURCES = ("keypad", "button")
STAFF_ACTIONS = ("close_service", "reopen_service", "clear_alarm")


@dataclass(frozen=True)
class StaffCommand(Message):
    """``staff/<device>/command``, answered on ``staff/<device>/reply`` with a :class:`StaffReply`."""

    id: str
    action: str
    service: str | None = None      # close_service, reopen_service
    reason: str = ""                # close_service: a key of the site's [issuing.reasons] (shown on the board)
    desk: str | None = None         # clear_alarm: one desk (None: every active alarm)
    sent_at: int | None = None      # ms; too old -> not carried out (as for desk commands)

    def to_dict(self) -> dict[str, Any]:
        out = _v(id=self.id, action=self.action)
        if self.service is not None:
            out["service"] = self.service
        if self.reason:
            out["reason"] = self.reason
        if self.desk is not None:
            out["desk"] = self.desk
        if self.sent_at is not None:
            out["sent_at"] = self.sent_at
        return out

    def expired(self, now: int, max_age_ms: int = COMMAND_MAX_AGE_MS) -> str | None:
        """Why this command must not be carried out at ``now`` (None: carry it out)."""
        return expired(self.sent_at, now, max_age_ms)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "StaffCommand":
        cid = _id(obj)
        action = obj.get("action")
        if action not in STAFF_ACTIONS:
            raise PayloadError(f"unknown action {str(action)[:20]!r}; allowed: {', '.join(STAFF_ACTIONS)}")
        sent_at = _int(obj, "sent_at", required=False)
        if action == "clear_alarm":
            return cls(cid, action, desk=_str(obj, "desk", ID_RE, 1, 32, required=False), sent_at=sent_at)
        return cls(cid, action, service=_service(obj), reason=_str(obj, "reason", ID_RE, 1, 32, required=False) or "",
                   sent_at=sent_at)


@dataclass(frozen=True)
class StaffReply(Message):
    """``staff/<device>/reply``: done (``cleared``: the desks whose alarm was cleared), or ``error``."""

    id: str | None
    error: str | None = None
    cleared: tuple[str, ...] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return _error_reply(self.id, self.error)
        out = _v(id=self.id, ok=True)
        if self.cleared is not None:
            out["cleared"] = list(self.cleared)
        return out

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "StaffReply":
        rid = _str(obj, "id", REQ_ID_RE, required=False)
        if not _bool(obj, "ok"):
            return cls(rid, _str(obj, "error", None, 1, 200))
        cleared = obj.get("cleared")
        if cleared is not None and not (isinstance(cleared, list) and all(isinstance(d, str) for d in cleared)):
            raise PayloadError("field 'cleared' must be a list of desk ids")
        return cls(rid, cleared=tuple(cleared) if cleared is not None else None)


@dataclass(frozen=True)
class AlarmInfo:
    """One alarm as ``alarm/state`` and ``alarm/event`` carry it."""

    id: str
    desk: str
    source: str
    raised_at: int
    cleared_at: int | None = None
    cleared_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "desk": self.desk, "source": self.source, "raised_at": self.raised_at}
        if self.cleared_at is not None:
            out["cleared_at"] = self.cleared_at
            out["cleared_by"] = self.cleared_by
        return out

    @classmethod
    def from_dict(cls, obj: Any) -> "AlarmInfo":
        if not isinstance(obj, dict):
            raise PayloadError("an alarm must be an object")
        return cls(_str(obj, "id", REQ_ID_RE), _str(obj, "desk", ID_RE, 1, 32), _str(obj, "source", None, 1, 16),
                   _int(obj, "raised_at"), _int(obj, "cleared_at", required=False),
                   _str(obj, "cleared_by", None, 1, 64, required=False))


@dataclass(frozen=True)
class AlarmState(Message):
    """Retained ``alarm/state``: every active alarm, oldest first (empty: all clear)."""

    active: tuple[AlarmInfo, ...]
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(active=[a.to_dict() for a in self.active], updated_at=self.updated_at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "AlarmState":
        active = obj.get("active")
        if not isinstance(active, list):
            raise PayloadError("field 'active' must be a list")
        return cls(tuple(AlarmInfo.from_dict(a) for a in active), _int(obj, "updated_at"))


@dataclass(frozen=True)
class AlarmEvent(Message):
    """``alarm/event``: ``event`` is ``raised`` or ``cleared``."""

    event: str
    alarm: AlarmInfo
    at: int

    def to_dict(self) -> dict[str, Any]:
        return _v(event=self.event, **self.alarm.to_dict(), at=self.at)

    @classmethod
    def from_dict(cls, obj: dict[str, Any]) -> "AlarmEvent":
        event = obj.get("event")
        if event not in ("raised", "cleared"):
            raise PayloadError("field 'event' must be raised or cleared")
        return cls(event, AlarmInfo.from_dict(obj), _int(obj, "at"))


# ---------------------------------------------------------------- builders

def _error_reply(req_id: str | None, reason: str) -> dict[str, Any]:
    """The wire form of every refusal: ``{"v":1,"ok":false,"error":...,"id":...}``."""
    out: dict[str, Any] = {"v": VERSION, "ok": False, "error": reason}
    if req_id is not None:
        out["id"] = req_id
    return out


def expired(sent_at: int | None, now: int, max_age_ms: int = COMMAND_MAX_AGE_MS) -> str | None:
    """Why a command or request sent at ``sent_at`` must not be carried out at ``now`` (None: carry it out).

    One without ``sent_at`` never expires (older clients). Staff tools wait at most
    a second longer than this for an answer, so nothing they gave up on runs later.
    """
    if sent_at is None or now - sent_at <= max_age_ms:
        return None
    return (f"expired: sent {(now - sent_at) / 1000:.1f} s ago, commands older than {max_age_ms / 1000:.0f} s "
            "are not carried out")


def ticket_number(service: str, seq: int) -> str:
    """``K`` and 17 -> ``K017``."""
    return f"{service}{seq:03d}"


def spoken_number(number: str) -> str:
    """``K017`` -> ``K 17``: how a number is read out (letter apart, no leading zeros)."""
    m = NUMBER_RE.match(number)
    if not m:
        return number
    return f"{m.group(1)} {int(m.group(2))}"
