"""Broker provisioning: users, passwords and the ACL of PROTOCOL.md, from the site config.

``aufruf provision site.toml --out DIR`` writes ``DIR/passwd`` (Mosquitto's
PBKDF2-SHA512 format, the same hash ``mosquitto_passwd`` makes), ``DIR/acl``,
``DIR/mosquitto.conf`` using both, and one password file per device user at
``DIR/credentials/<user>``. Re-running keeps existing passwords unless asked
to rotate, so devices already set up keep working.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .errors import ProvisionError
from .ticketkey import secret_path

PBKDF2_ITERATIONS = 101  # what mosquitto_passwd 2.0 uses for $7$
TEMPLATE = Path(__file__).resolve().parent / "data" / "mosquitto.conf.in"


@dataclass(frozen=True)
class User:
    """One MQTT login and what it may do."""

    name: str
    write: tuple[str, ...]
    read: tuple[str, ...]


def users(cfg: SiteConfig, controllers: tuple[str, ...] = ("main",), bridge: bool = False) -> list[User]:
    """Every device user of the site and its topics (relative to the site root)."""
    out = [User(f"controller-{c}", ("#",), ("#",)) for c in controllers]
    for k in cfg.kiosks:
        out.append(User(f"kiosk-{k.id}",
                        (f"kiosk/{k.id}/request", f"kiosk/{k.id}/printed", f"status/kiosk/{k.id}"),
                        (f"kiosk/{k.id}/ticket", "queue", f"status/kiosk/{k.id}", "status/controller/+",
                         "board")))     # board: the "what is being called now?" button
    for d in cfg.displays:
        out.append(User(f"display-{d.id}", (f"status/display/{d.id}",),
                        ("call", "board", "queue", "status/#")))
    for d in cfg.desks:
        out.append(User(f"keypad-{d.id}", (f"desk/{d.id}/command", f"status/keypad/{d.id}"),
                        (f"desk/{d.id}/reply", f"desk/{d.id}/state", f"status/keypad/{d.id}",
                         "status/controller/+", f"desk/{d.id}/arrival", f"desk/{d.id}/arrivals")))
    # aufruf web: reads the public state, gives tickets back for their holders; a central one logs in
    # at the central broker, not here (its commands come in over the bridge: docs/web.md, "Many sites")
    for w in (w for w in cfg.webs if not w.central):
        out.append(User(f"web-{w.id}", (f"web/{w.id}/command", f"status/web/{w.id}"),
                        ("call", "board", "queue", "line/+", "tickets/+", f"web/{w.id}/reply",
                         f"status/web/{w.id}", "status/controller/+")))
    # the staff tools (aufruf issue/call/status/service/alarm): the info desk's kiosk topics, every desk
    # and the staff commands; reading "#" includes the staff-only alarm/# that no display, kiosk or
    # keypad user may read (docs/rules.md)
    out.append(User("staff-info",
                    ("kiosk/info/request", "kiosk/info/printed", "desk/+/command", "status/staff/info",
                     "staff/info/command"),
                    ("#",)))
    if any(not w.central for w in cfg.webs):  # people signing in at aufruf web's counter panel and office view
        out.extend(staff_login_users(cfg))
    if bridge:
        out.append(User("bridge-central", ("#",), ("#",)))
    return out


SUPERVISOR = "supervisor"
STAFF_ALARM = ("alarm/state", "alarm/event")  # the silent alarm: staff logins read it (docs/rules.md)
STAFF_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: typed by people


def staff_login_users(cfg: SiteConfig) -> list[User]:
    """The people's logins of ``aufruf web``: one ``panel-<desk>`` per counter and the supervisor.

    A browser signed in for counter 3 talks to the broker AS ``panel-3``, so the
    ACL alone decides that it commands desk 3 and nothing else; the supervisor
    reads the whole office and commands nothing.
    """
    out = []
    for d in cfg.desks:
        out.append(User(f"panel-{d.id}", (f"desk/{d.id}/command",),
                        (f"desk/{d.id}/reply", f"desk/{d.id}/state", "queue",
                         *(f"line/{s}" for s in d.services), "status/controller/+", *STAFF_ALARM)))
    out.append(User(SUPERVISOR, (), ("desk/+/state", "queue", "board", "line/+", "stats/today", "status/#",
                                     *STAFF_ALARM)))
    return out


def is_staff_login(user: str) -> bool:
    """A login that a person types (its password is shown once, not only kept in a file)."""
    return user.startswith("panel-") or user == SUPERVISOR


def staff_password() -> str:
    """A password a person can type from a slip of paper: 4 groups of 4 (about 79 bits)."""
    return "-".join("".join(secrets.choice(STAFF_ALPHABET) for _ in range(4)) for _ in range(4))


def mosquitto_hash(password: str, salt: bytes | None = None) -> str:
    """The ``$7$`` (PBKDF2-SHA512) hash Mosquitto 2 reads from its password file."""
    salt = salt or secrets.token_bytes(12)
    dk = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, PBKDF2_ITERATIONS)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(dk).decode()}"


def acl_text(cfg: SiteConfig, user_list: list[User]) -> str:
    """The Mosquitto ACL: each user's own topics, nothing outside ``aufruf/<site>/``."""
    root = f"aufruf/{cfg.site_id}/"
    lines = [f"# aufruf ACL for site {cfg.site_id}, generated by 'aufruf provision'. Do not edit:",
             "# re-run the provisioning after changing the site config.", ""]
    for u in user_list:
        lines.append(f"user {u.name}")
        if u.name.startswith("bridge-"):
            lines.append(f"topic readwrite {root}#")
        for t in u.write:
            both = t in u.read
            lines.append(f"topic {'readwrite' if both else 'write'} {root}{t}")
        for t in u.read:
            if t not in u.write:
                lines.append(f"topic read {root}{t}")
        lines.append("")
    return "\n".join(lines)


def _write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def provision(cfg: SiteConfig, out: str | Path, *, rotate: bool = False, port: int | None = None,
              bind: str | None = None, run_as: str | None = None, controllers: tuple[str, ...] = ("main",),
              persistence_dir: str | Path | None = None, bridge: bool = False,
              tls_port: int | None = None, extra_conf: str = "", tls: bool = False,
              tls_hosts: tuple[str, ...] = (), credentials_dir: str | Path | None = None,
              conf_dir: str | Path | None = None, rotate_users: tuple[str, ...] = (),
              new_passwords: dict[str, str] | None = None) -> list[str]:
    """Write passwd, acl, mosquitto.conf and credentials/<user>; return the user names.

    Existing passwords are kept (unless ``rotate``); users no longer in the
    site config lose their login. ``tls`` also makes (or keeps) the site CA
    and the server certificate in ``out/tls`` and adds a TLS listener on
    ``tls_port`` (default 8883). ``credentials_dir`` puts the per-user
    password files elsewhere than ``out/credentials``; ``conf_dir`` is where
    ``out`` will be seen by the broker (an installer writing below a staging
    root), used for the paths inside mosquitto.conf.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    creds = Path(credentials_dir) if credentials_dir else out / "credentials"
    creds.mkdir(parents=True, exist_ok=True)
    os.chmod(creds, 0o750)
    ulist = users(cfg, controllers, bridge)
    unknown = sorted(set(rotate_users) - {u.name for u in ulist})
    if unknown:
        raise ProvisionError(f"cannot rotate unknown user(s) {', '.join(unknown)}; "
                         f"users of this site: {', '.join(u.name for u in ulist)}")
    passwd_lines = []
    for u in ulist:
        f = creds / u.name
        pw = None
        if f.exists() and not rotate and u.name not in rotate_users:
            pw = f.read_text(encoding="utf-8").strip() or None
        if pw is None:
            staff = is_staff_login(u.name)  # typed by people: readable by root only, not by the devices
            pw = staff_password() if staff else secrets.token_urlsafe(24)
            _write(f, pw + "\n", 0o600 if staff else 0o640)
            if new_passwords is not None:
                new_passwords[u.name] = pw
        passwd_lines.append(f"{u.name}:{mosquitto_hash(pw)}")
    _write(out / "passwd", "\n".join(passwd_lines) + "\n", 0o640)
    secret = secret_path(creds)  # the key behind each ticket's QR (aufruf/ticketkey.py)
    if rotate or not secret.exists() or len(secret.read_text(encoding="utf-8").strip()) < 16:
        _write(secret, secrets.token_urlsafe(32) + "\n", 0o640)
    _write(out / "acl", acl_text(cfg, ulist), 0o644)
    if tls:
        from . import sitetls
        hosts = sitetls.default_hosts(tuple(tls_hosts) + ((cfg.broker.host,) if cfg.broker.host else ()))
        sitetls.ensure(out / "tls", cfg.site_id, hosts, rotate=rotate)
        tls_port = tls_port or 8883
    pdir = Path(persistence_dir) if persistence_dir else out / "data"
    if conf_dir is None:  # staged for another root: the broker's host makes its own directory
        pdir.mkdir(parents=True, exist_ok=True)
    conf = mosquitto_conf(Path(conf_dir) if conf_dir else out, port=port or cfg.broker.port, bind=bind,
                          run_as=run_as, persistence_dir=pdir, tls_port=tls_port if tls or tls_port else None,
                          extra=extra_conf)
    _write(out / "mosquitto.conf", conf, 0o644)
    if conf_dir is None and run_as in (None, BROKER_USER):
        hand_to_broker(out, pdir)
    return [u.name for u in ulist]


BROKER_USER = "mosquitto"   # Debian's Mosquitto, started as root, drops to this user before reading its files


def hand_to_broker(out: Path, persistence_dir: Path) -> bool:
    """As root: let the broker's own user read passwd (and the TLS key) and write its persistence.

    Mosquitto started as root switches to user ``mosquitto`` and only then opens
    the password file ("Unable to open pwfile" otherwise). The files stay
    unreadable for everybody else. False when not root or there is no such user.
    """
    if os.geteuid() != 0:
        return False
    import grp
    import pwd
    try:
        uid, gid = pwd.getpwnam(BROKER_USER).pw_uid, grp.getgrnam(BROKER_USER).gr_gid
    except KeyError:
        return False
    for f in (out / "passwd", out / "tls" / "server.key"):
        if f.exists():
            os.chown(f, 0, gid)
            os.chmod(f, 0o640)
    if persistence_dir.is_dir():
        os.chown(persistence_dir, uid, gid)
        os.chmod(persistence_dir, 0o750)
    return True


def mosquitto_conf(out: Path, *, port: int, bind: str | None, run_as: str | None, persistence_dir: Path | None,
                   tls_port: int | None = None, extra: str = "", include: bool = False) -> str:
    """The broker config from ``aufruf/data/mosquitto.conf.in`` with this site's paths.

    ``include=True`` makes the form for Debian's ``/etc/mosquitto/conf.d/``:
    without ``persistence_location``, ``log_dest`` and ``user``, which the
    distribution's main ``mosquitto.conf`` already sets (Mosquitto refuses a
    second ``persistence_location``); Mosquitto under systemd logs to the
    journal through that file's or its own default destination.
    """
    text = TEMPLATE.read_text(encoding="utf-8")
    listener = f"listener {port} {bind}" if bind else f"listener {port}"
    tls = ""
    if tls_port:
        tls = (f"\n# TLS listener (site CA and server certificate from 'aufruf provision --tls');\n"
               f"# devices set broker.tls = true and broker.ca_file to the CA certificate.\n"
               f"listener {tls_port}{' ' + bind if bind else ''}\n"
               f"cafile {out / 'tls' / 'ca.crt'}\ncertfile {out / 'tls' / 'server.crt'}\n"
               f"keyfile {out / 'tls' / 'server.key'}\ntls_version tlsv1.2\n")
    persistence = "" if include or persistence_dir is None else \
        f"persistence_location {str(persistence_dir).rstrip('/')}/\n"
    return text.format(
        listener=listener,
        passwd=out / "passwd",
        acl=out / "acl",
        persistence=persistence,
        user=f"user {run_as}" if run_as and not include else "",
        tls=tls,
        log_dest="" if include else "log_dest stderr\n",
        extra=extra,
    )
