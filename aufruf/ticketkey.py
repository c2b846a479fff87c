"""The per-ticket key behind the QR code: only the holder of a ticket can follow or give it back.

A ticket page's address carries ``<number>-<key>``: the key is an HMAC-SHA256
of the site's ticket secret over the site id, the service day and the number,
cut to 10 base32 characters (50 bits). Counting numbers therefore finds
nothing; a wrong key gets the same answer as a number that does not exist.
The secret is one file beside the device passwords
(``<broker.credentials_dir>/ticket-secret``), written by ``aufruf provision``
and read by the desk controller (it puts the key into the ticket it issues,
for the kiosk's QR, and checks it when a ticket is given back) and by
``aufruf web``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from pathlib import Path

from .errors import LinkError

SECRET_FILE = "ticket-secret"
KEY_CHARS = 10
KEY_RE = re.compile(r"^[a-z2-7]{10}$")


def secret_path(credentials_dir: str | Path) -> Path:
    return Path(credentials_dir) / SECRET_FILE


def read_secret(credentials_dir: str | Path) -> bytes:
    """The site's ticket secret; LinkError naming the file and the fix when it is missing."""
    path = secret_path(credentials_dir)
    try:
        data = path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise LinkError(f"cannot read the ticket secret at {path}: {e.strerror or e}. "
                        "Run 'aufruf provision' and check the file's owner.") from None
    if len(data) < 16:
        raise LinkError(f"the ticket secret {path} is empty or too short; run 'aufruf provision --rotate'")
    return data.encode("utf-8")


def ticket_key(secret: bytes, site: str, day: str, number: str) -> str:
    """The key of ticket ``number`` of service day ``day`` (ISO date) at ``site``."""
    mac = hmac.new(secret, f"{site}|{day}|{number}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(mac).decode("ascii").lower()[:KEY_CHARS]


def key_ok(secret: bytes, site: str, day: str, number: str, key: str) -> bool:
    """Whether ``key`` is the key of that ticket (constant-time comparison)."""
    return hmac.compare_digest(ticket_key(secret, site, day, number).encode("ascii"),
                               key.encode("ascii", "replace"))
