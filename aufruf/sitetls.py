"""A site's own certificate authority and the broker's server certificate (``aufruf provision --tls``).

An office network is closed: no public CA will sign ``kiosk-pi.local``. The
site makes its own CA once; devices trust only that CA (``broker.ca_file``),
the broker presents a certificate it signed. The ``openssl`` command (Debian
package ``openssl``, present on Raspberry Pi OS) does the work, so no
Python crypto dependency is needed.

Re-running keeps the CA and the server certificate, so devices that already
trust the CA keep working; the server certificate is renewed when it expires
within 30 days, when the host names change, or on ``rotate``.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ProvisionError

CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_BEFORE_S = 30 * 24 * 3600


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA and the server's certificate and key are."""

    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    made: tuple[str, ...]  # which files this run (re)created


def default_hosts(extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """The names and addresses the broker is reached by: loopback, this host's name, ``extra``."""
    name = socket.gethostname()
    hosts = ["localhost", "127.0.0.1", "::1", name, f"{name}.local", *extra]
    seen: list[str] = []
    for h in hosts:
        if h and h not in seen:
            seen.append(h)
    return tuple(seen)


def _san(hosts: tuple[str, ...]) -> str:
    parts = []
    for h in hosts:
        try:
            ipaddress.ip_address(h)
            parts.append(f"IP:{h}")
        except ValueError:
            parts.append(f"DNS:{h}")
    return ",".join(parts)


def _openssl(*args: str) -> str:
    exe = shutil.which("openssl")
    if not exe:
        raise ProvisionError("TLS needs the openssl command: apt-get install -y openssl")
    r = subprocess.run([exe, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise ProvisionError(f"openssl {args[0]} failed: {r.stderr.strip() or r.stdout.strip()}")
    return r.stdout


def _expires_soon(cert: Path) -> bool:
    exe = shutil.which("openssl")
    r = subprocess.run([exe or "openssl", "x509", "-checkend", str(RENEW_BEFORE_S), "-noout", "-in", str(cert)],
                       capture_output=True, text=True)
    return r.returncode != 0


def ensure(tls_dir: str | Path, site_id: str, hosts: tuple[str, ...], *, rotate: bool = False) -> TlsFiles:
    """Make (or keep) ``ca.crt``/``ca.key`` and ``server.crt``/``server.key`` in ``tls_dir``."""
    d = Path(tls_dir)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o755)
    ca_crt, ca_key, srv_crt, srv_key = d / "ca.crt", d / "ca.key", d / "server.crt", d / "server.key"
    made: list[str] = []
    if rotate or not (ca_crt.exists() and ca_key.exists()) or _expires_soon(ca_crt):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", str(ca_key), "-out", str(ca_crt), "-days", str(CA_DAYS),
                 "-subj", f"/O=aufruf/CN=aufruf site CA {site_id}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash")
        made += ["ca.crt", "ca.key"]
        srv_crt.unlink(missing_ok=True)
    os.chmod(ca_key, 0o600)
    os.chmod(ca_crt, 0o644)
    renew = not (srv_crt.exists() and srv_key.exists()) or _expires_soon(srv_crt)
    hosts_file = d / "server.hosts"  # the names the certificate was made for
    if not renew:
        have = hosts_file.read_text(encoding="utf-8").split() if hosts_file.exists() else []
        renew = sorted(have) != sorted(hosts)
    if renew:
        with tempfile.TemporaryDirectory() as tmp:
            csr, ext = Path(tmp) / "server.csr", Path(tmp) / "server.ext"
            ext.write_text("basicConstraints=critical,CA:FALSE\n"
                           "keyUsage=critical,digitalSignature,keyEncipherment\n"
                           "extendedKeyUsage=serverAuth\n"
                           "subjectKeyIdentifier=hash\n"
                           "authorityKeyIdentifier=keyid,issuer\n"
                           f"subjectAltName={_san(hosts)}\n", encoding="utf-8")
            _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                     "-keyout", str(srv_key), "-out", str(csr), "-subj", f"/O=aufruf/CN={hosts[0]}")
            _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_crt), "-CAkey", str(ca_key),
                     "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", str(SERVER_DAYS),
                     "-extfile", str(ext), "-out", str(srv_crt))
        hosts_file.write_text("\n".join(hosts) + "\n", encoding="utf-8")
        made += ["server.crt", "server.key"]
    os.chmod(srv_key, 0o640)
    os.chmod(srv_crt, 0o644)
    return TlsFiles(ca_crt, ca_key, srv_crt, srv_key, tuple(made))
