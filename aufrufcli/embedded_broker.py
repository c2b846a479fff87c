"""An MQTT broker for the demo where Mosquitto is not installed: amqtt, on its own thread.

Same users, passwords and ACL as the Mosquitto provisioning (``aufruf.provision``),
loopback only. amqtt speaks MQTT 3.1.1 only, so devices connect with
``[broker] mqtt_version = 3`` to it. Never used in production.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf.provision import User, users

log = logging.getLogger(__name__)


class EmbeddedBroker:
    """amqtt's broker with password file and topic ACL, running on a private event loop thread."""

    def __init__(self, cfg: SiteConfig, workdir: str | Path, port: int, passwords: dict[str, str],
                 controllers: tuple[str, ...] = ("main",)):
        try:
            import amqtt  # noqa: F401
            from pwdlib.hashers.argon2 import Argon2Hasher
        except ImportError as e:
            raise AufrufError("the embedded broker needs the demo extra: pip install 'aufruf[demo]'") from e
        self.port = port
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        ulist = users(cfg, controllers)
        hasher = Argon2Hasher()
        lines = [f"{u.name}:{hasher.hash(passwords[u.name])}" for u in ulist if u.name in passwords]
        self.passwd = self.dir / "amqtt-passwd"
        self.passwd.write_text("\n".join(lines) + "\n", encoding="utf-8")
        root = f"aufruf/{cfg.site_id}/"
        self.config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": False},
                "amqtt.plugins.authentication.FileAuthPlugin": {"password_file": str(self.passwd)},
                "amqtt.plugins.topic_checking.TopicAccessControlListPlugin": {
                    "publish_acl": {u.name: _topics(root, u.write) for u in ulist},
                    "acl": {u.name: _topics(root, u.read) for u in ulist},
                },
            },
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Start the broker thread and wait until it listens."""
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise AufrufError("the embedded MQTT broker did not start")
        if self._error:
            raise AufrufError(f"the embedded MQTT broker failed: {self._error}")
        log.info("embedded MQTT broker (amqtt, MQTT 3.1.1) on 127.0.0.1:%d", self.port)

    def _run(self) -> None:
        import warnings

        from amqtt.broker import Broker
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="amqtt")
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            self._broker = Broker(self.config)  # must be made inside the running loop
            await self._broker.start()
        try:
            loop.run_until_complete(boot())
        except BaseException as e:  # noqa: BLE001 - reported to start()
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.close()

    def stop(self) -> None:
        """Shut the broker down and end its thread."""
        if self._loop is None or self._broker is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
        try:
            fut.result(10)
        except Exception:  # noqa: BLE001 - best effort at shutdown
            log.debug("embedded broker shutdown raised", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)


def _topics(root: str, topics: tuple[str, ...]) -> list[str]:
    return [root + t for t in topics]


__all__ = ["EmbeddedBroker", "User"]
