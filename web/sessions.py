"""Staff sign-in sessions of ``aufruf web``: ids, CSRF tokens, idle timeout (pure, injected clock).

A session is what a browser holds after signing in for a counter (``panel-3``)
or as the supervisor: a random id in an HttpOnly cookie, a CSRF token the page
sends with every action, the broker user it signed in as and when it was last
used. The password is never kept: the broker checked it when the session's
own MQTT connection logged in (``web/staff_link.py``). Nothing here does I/O.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from aufruf.errors import AufrufError

DEFAULT_IDLE_S = 30 * 60
MAX_SESSIONS = 500


class SessionError(AufrufError, PermissionError):
    """A request without a valid session or CSRF token; the text says which (never a secret)."""


@dataclass
class Session:
    """One signed-in browser (all its tabs share the cookie and so the session)."""

    id: str
    user: str                  # the broker user: panel-<desk> or supervisor
    kind: str                  # "desk" or "office"
    desk: str | None           # the counter a panel session signed in for
    csrf: str
    created: float
    last_used: float
    live: Any = None           # the routes' own objects of this session (web/staff.py: its MQTT link, ...)


class SessionStore:
    """Sessions by id, with an idle timeout; ``clock()`` gives seconds (monotonic in production)."""

    def __init__(self, clock: Callable[[], float], idle_s: float = DEFAULT_IDLE_S,
                 max_sessions: int = MAX_SESSIONS):
        if idle_s <= 0:
            raise ValueError("idle_s must be > 0")
        self.clock = clock
        self.idle_s = idle_s
        self.max_sessions = max_sessions
        self._by_id: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):
        return iter(list(self._by_id.values()))

    def create(self, user: str, kind: str, desk: str | None = None) -> Session:
        """A new session; raises :class:`SessionError` when the server already holds too many."""
        if kind not in ("desk", "office"):
            raise ValueError(f"unknown session kind {kind!r}")
        if len(self._by_id) >= self.max_sessions:
            raise SessionError(f"too many signed-in sessions (at most {self.max_sessions}); try again later")
        now = self.clock()
        s = Session(id=secrets.token_urlsafe(32), user=user, kind=kind, desk=desk,
                    csrf=secrets.token_urlsafe(32), created=now, last_used=now)
        self._by_id[s.id] = s
        return s

    def get(self, session_id: str | None, *, touch: bool = True) -> Session | None:
        """The live session for a cookie value, or None (unknown or idle too long).

        ``touch`` counts this request as use (a page load or an action); the
        live event stream does not, so a panel left open still times out.
        """
        if not session_id:
            return None
        s = self._by_id.get(session_id)
        if s is None:
            return None
        now = self.clock()
        if now - s.last_used > self.idle_s:
            return None
        if touch:
            s.last_used = now
        return s

    def check_csrf(self, s: Session, token: str | None) -> None:
        """Raise :class:`SessionError` unless ``token`` is this session's CSRF token."""
        if not token or not hmac.compare_digest(token.encode("utf-8", "replace"), s.csrf.encode()):
            raise SessionError("missing or wrong CSRF token: reload the page")

    def remove(self, session_id: str) -> Session | None:
        """Sign out: the session is gone at once (the caller closes its MQTT link)."""
        return self._by_id.pop(session_id, None)

    def expired(self) -> list[Session]:
        """Remove and return every session idle longer than the timeout."""
        now = self.clock()
        gone = [s for s in self._by_id.values() if now - s.last_used > self.idle_s]
        for s in gone:
            del self._by_id[s.id]
        return gone

    def idle_left(self, s: Session) -> float:
        """Seconds until ``s`` times out."""
        return max(0.0, self.idle_s - (self.clock() - s.last_used))
