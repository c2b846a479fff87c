"""MQTT -> the server's event loop: the ``web-<id>`` login, and commands with their replies.

paho's network thread never touches the site state: every message and every
connect/disconnect is posted to the event loop with ``call_soon_threadsafe``;
there :class:`~web.state.SiteState` takes it and the hub tells the pages.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import PayloadError
from aufruf.link import MqttLink

from .hub import Hub
from .state import SiteState

log = logging.getLogger(__name__)
REPLY_TIMEOUT_S = 5.0


class NoAnswer(Exception):
    """The controller did not answer a command in time (or the broker is away)."""


class Bridge:
    """The server's MQTT side; create and :meth:`start` it inside the running event loop."""

    def __init__(self, cfg: SiteConfig, web_id: str, state: SiteState, hub: Hub, *,
                 password: str | None = None, link_factory: Callable[..., MqttLink] = MqttLink,
                 central: bool = False):
        self.cfg = cfg
        self.web_id = web_id
        self.state = state
        self.hub = hub
        t = protocol.Topics(cfg.site_id)
        self.topics = t
        subs = (t.board, t.queue, t.call, t.all_lines, t.all_tickets, t.web_reply(web_id), t.role_status("controller"))
        if central:  # at the central broker: is the site's bridge there (else its retained state is old)
            subs += (t.bridge_state,)
        self.link = link_factory(cfg.broker, cfg.site_id, "web", web_id, subscriptions=subs,
                                 handler=self._on_message, password=password,
                                 status_extra=lambda: {"pages": self.hub.pages},
                                 on_connect=lambda: self._post(self._connected, True),
                                 on_disconnect=lambda: self._post(self._connected, False))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._replies: dict[str, asyncio.Future] = {}
        self.messages = 0

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    # ------------------------------------------------------------ paho's thread

    def _post(self, fn, *args) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:  # the loop closed meanwhile (shutting down)
                pass

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        self._post(self._incoming, topic, payload)

    # ------------------------------------------------------------ event loop

    def _connected(self, up: bool) -> None:
        self.hub.publish(self.state.set_broker(up))

    def _incoming(self, topic: str, payload: bytes) -> None:
        self.messages += 1
        if topic == self.topics.web_reply(self.web_id):
            return self._reply(payload)
        self.hub.publish(self.state.apply(topic, payload))

    def _reply(self, payload: bytes) -> None:
        try:
            reply = protocol.CommandReply.from_json(payload)
        except PayloadError as e:
            log.warning("ignored reply: %s", e)
            return
        fut = self._replies.pop(str(reply.id), None)
        if fut is not None and not fut.done():
            fut.set_result(reply)

    async def command(self, cmd: protocol.WebCommand) -> protocol.CommandReply:
        """Send a command to the controller and wait for its reply; NoAnswer after a timeout."""
        if not self.link.is_connected():
            raise NoAnswer("the broker is not reachable")
        fut = self._replies.get(cmd.id)
        if fut is None:
            fut = self._replies[cmd.id] = asyncio.get_running_loop().create_future()
            self.link.publish(self.topics.web_command(self.web_id), cmd)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), REPLY_TIMEOUT_S)
        except TimeoutError:
            self._replies.pop(cmd.id, None)
            raise NoAnswer("the controller did not answer") from None
