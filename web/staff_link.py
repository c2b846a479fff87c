"""A signed-in browser session's own MQTT connection, logged in AS the staff member's user.

``aufruf web`` holds no broker user that may command a counter. When someone
signs in for counter 3, :meth:`StaffLink.open` logs in to Mosquitto as
``panel-3`` with the password just typed: the broker's answer IS the password
check, and from then on Mosquitto's ACL alone decides what this session may
publish (a ``desk/1/command`` from it comes back "Not authorized" over MQTT 5).
The password lives only inside paho's client for as long as the session.

paho's thread never touches the session: every message and acknowledgement is
handed to the asyncio loop with ``call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Any, Callable

from aufruf import protocol
from aufruf.config import Broker
from aufruf.errors import AufrufError, PayloadError
from aufruf.link import MqttLink, ephemeral_client_id

log = logging.getLogger(__name__)

SIGN_IN_TIMEOUT_S = 5.0
COMMAND_TIMEOUT_S = 5.0
WRONG_CREDENTIALS = ("Bad user name or password", "Not authorized")

Deliver = Callable[[str, bytes, bool], None]


class SignInRefused(AufrufError, PermissionError):
    """The broker refused the user name and password."""


class BrokerUnavailable(AufrufError, ConnectionError):
    """The broker did not answer the sign-in in time (not the user's fault: not counted as a failure)."""


class StaffLink:
    """One session's MQTT connection: retained state in, desk commands out with their replies."""

    def __init__(self, broker: Broker, site: str, user: str, password: str, *,
                 subscriptions: tuple[str, ...], deliver: Deliver, loop: asyncio.AbstractEventLoop):
        self.user = user
        self.topics = protocol.Topics(site)
        self._loop = loop
        self._deliver = deliver
        self._pending: dict[str, asyncio.Future] = {}
        self._reply_topics: set[str] = {s for s in subscriptions if s.endswith("/reply")}
        self.connected = False
        self.on_connection: Callable[[bool], None] | None = None
        self.link = MqttLink(broker, site, "staff", "web", subscriptions=subscriptions, handler=self._on_message,
                             password=password, client_id=ephemeral_client_id(user), publish_status=False,
                             user=user, on_connect=lambda: self._to_loop(self._connection, True),
                             on_disconnect=lambda: self._to_loop(self._connection, False))

    # ------------------------------------------------------------ sign-in and lifetime

    async def open(self, timeout: float = SIGN_IN_TIMEOUT_S) -> None:
        """Log in; raises :class:`SignInRefused` or :class:`BrokerUnavailable` (and stops the link then)."""
        self.link.start()
        deadline = time.monotonic() + timeout
        try:
            while True:
                if await asyncio.to_thread(self.link.wait_connected, 0.05):
                    return
                refusal = self.link.last_refusal
                if refusal is not None:
                    if refusal in WRONG_CREDENTIALS:
                        raise SignInRefused("wrong password")
                    raise BrokerUnavailable(f"the broker refused the sign-in: {refusal}")
                if time.monotonic() > deadline:
                    raise BrokerUnavailable("the broker does not answer; try again in a moment")
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Disconnect (sign-out, idle timeout, server stop); pending commands get an answer."""
        for fut in self._pending.values():
            if not fut.done():
                fut.set_result(protocol.CommandReply(None, error="signed out"))
        self._pending.clear()
        await asyncio.to_thread(self.link.stop, False)

    # ------------------------------------------------------------ commands

    async def command(self, desk: str, action: str, *, service: str | None = None, number: str | None = None,
                      timeout: float = COMMAND_TIMEOUT_S) -> protocol.CommandReply:
        """Send a desk command as this session's user; the controller's reply, or why there is none.

        The desk is whatever the request names: the broker refuses what this
        user may not command ("Not authorized"), the server does not decide.
        """
        cid = f"web-{uuid.uuid4().hex[:16]}"
        payload = protocol.Command(cid, action, service, number).to_json()  # checked: a bad one never leaves
        topic = self.topics.command(desk)
        if not self.link.is_connected():  # not queued for later: a press is carried out now or not at all
            return protocol.CommandReply(None, error="no connection to the broker: not sent")
        fut: asyncio.Future = self._loop.create_future()
        self._pending[cid] = fut
        try:
            self.link.publish(topic, payload,
                              on_delivered=lambda ok, reason: self._to_loop(self._delivered, cid, ok, reason, desk))
            return await asyncio.wait_for(asyncio.shield(fut), timeout)
        except asyncio.TimeoutError:
            return protocol.CommandReply(None, error="no answer from the desk controller yet (it may still carry "
                                                     "it out when it is back: watch the current ticket)")
        finally:
            self._pending.pop(cid, None)

    # ------------------------------------------------------------ on the loop

    def _to_loop(self, fn: Callable, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed (server stopping)
            pass

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """paho's thread: hand over."""
        self._to_loop(self._message, topic, payload, retained)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic in self._reply_topics:
            try:
                reply = protocol.CommandReply.from_json(payload)
            except PayloadError:
                return
            fut = self._pending.get(reply.id) if reply.id is not None else None
            if fut is not None and not fut.done():
                fut.set_result(reply)
            return
        self._deliver(topic, payload, retained)

    def _delivered(self, cid: str, ok: bool, reason: str, desk: str) -> None:
        if ok:
            return
        fut = self._pending.get(cid)
        if fut is not None and not fut.done():
            if reason == "Not authorized":
                reason = f"not allowed: this sign-in ({self.user}) may not command desk {desk}"
            fut.set_result(protocol.CommandReply(cid, error=reason))

    def _connection(self, up: bool) -> None:
        self.connected = up
        if self.on_connection is not None:
            self.on_connection(up)

