"""Broker helpers beyond the plain ``site`` fixture: a site whose broker also has the TLS
listener, a central broker from ``broker_config/central.conf.example``, and a one-shot
login check that reports the broker's answer."""

from __future__ import annotations

import os
import ssl
import subprocess
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from aufruf import sitetls


from sites import MOSQUITTO, REPO, MosquittoProcess, Site, free_port, wait_port  # noqa: E402,F401


class TlsSite(Site):
    """The model site provisioned with ``tls=True``: plain listener on ``port``, TLS on ``tls_port``."""

    def provision_options(self) -> dict:
        if not hasattr(self, "tls_port"):
            self.tls_port = free_port()
        return {"tls": True, "tls_port": self.tls_port, "tls_hosts": ("127.0.0.1",)}

    @property
    def ca_file(self) -> str:
        return str(self.brokerdir / "tls" / "ca.crt")

    def start(self) -> None:
        super().start()
        wait_port(self.tls_port)


def try_connect(port: int, user: str | None, password: str | None, *, ca_file: str | None = None,
                tls_insecure_ca: bool = False, timeout: float = 5.0) -> str:
    """Connect once with MQTT 5 and return the CONNACK reason ("Success", "Not authorized", ...)
    or the connection error ("ssl: ...", "os: ...") when there was no CONNACK."""
    done = threading.Event()
    result: list[str] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    if user:
        c.username_pw_set(user, password)
    if ca_file or tls_insecure_ca:
        c.tls_set(ca_certs=ca_file, tls_version=ssl.PROTOCOL_TLS_CLIENT)

    def on_connect(client, userdata, flags, rc, props):
        result.append(str(rc))
        done.set()

    def on_disconnect(client, userdata, flags, rc, props):
        if not result:
            result.append(f"disconnected: {rc}")
        done.set()
    c.on_connect = on_connect
    c.on_disconnect = on_disconnect
    try:
        c.connect("127.0.0.1", port, keepalive=10)
    except ssl.SSLError as e:
        return f"ssl: {e.reason or e}"
    except OSError as e:
        return f"os: {e}"
    c.loop_start()
    try:
        if not done.wait(timeout):
            return "timeout"
        return result[0]
    finally:
        c.disconnect()
        c.loop_stop()


BROKER_CONFIG = REPO / "broker_config"


def bridge_conf(site_id: str, host: str, port: int, password: str, cafile: str, retry_s: int = 1) -> str:
    """``broker_config/bridge.conf.example`` filled in the way its header tells an admin to.

    Only the retry back-off is shortened so a test need not wait 5-60 s for the reconnect."""
    text = (BROKER_CONFIG / "bridge.conf.example").read_text(encoding="utf-8")
    for k, v in {"@SITE@": site_id, "@CENTRAL_HOST@": host, "@CENTRAL_PORT@": str(port),
                 "@PASSWORD@": password, "@CAFILE@": cafile}.items():
        text = text.replace(k, v)
    assert "restart_timeout 5 60" in text
    return text.replace("restart_timeout 5 60", f"restart_timeout {retry_s}")


class BridgedSite(Site):
    """A site whose provisioned broker also carries the bridge to a central broker."""

    def __init__(self, root: Path, text: str, bridge: str):
        self.bridge = bridge
        super().__init__(root, text)

    def provision_options(self) -> dict:
        return {"extra_conf": self.bridge}


class Central:
    """The central broker of ``broker_config/central.conf.example`` (TLS, one login per site)."""

    def __init__(self, root: Path, logins: dict[str, str]):
        self.dir = root / "central"
        self.dir.mkdir(parents=True)
        self.port = free_port()
        tls = sitetls.ensure(self.dir / "tls", "central", ("127.0.0.1", "localhost"))
        for f in (tls.ca_cert, tls.server_cert, tls.server_key):
            (self.dir / f.name).write_bytes(f.read_bytes())
        self.ca_file = str(self.dir / "ca.crt")
        text = (BROKER_CONFIG / "central.conf.example").read_text(encoding="utf-8")
        assert "listener 8883\n" in text
        text = text.replace("/etc/mosquitto/aufruf-central", str(self.dir))
        text = text.replace("listener 8883\n", f"listener {self.port} 127.0.0.1\n")
        (self.dir / "data").mkdir()
        text += f"\npersistence_location {self.dir / 'data'}/\nlog_dest stderr\n"
        if os.geteuid() == 0:
            text = "user root\n" + text
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(text, encoding="utf-8")
        (self.dir / "acl").write_text((BROKER_CONFIG / "central.acl.example").read_text(encoding="utf-8"))
        passwd = self.dir / "passwd"
        first = True
        for user, pw in logins.items():  # the way the example's header says: mosquitto_passwd
            subprocess.run(["mosquitto_passwd", *(["-c"] if first else []), "-b", str(passwd), user, pw],
                           check=True, capture_output=True)
            first = False
        self.mosquitto = MosquittoProcess(self.conf, self.port, self.dir / "mosquitto.log")
        self.mosquitto.start()

    def start(self) -> None:
        self.mosquitto.start()

    def stop(self) -> None:
        self.mosquitto.stop()
