"""``aufruf provision FILE --out DIR``: broker users, passwords, ACL and config for a site."""

import argparse
import sys

from aufruf import provision
from aufruf.config import DEFAULT_PATH, load_or_exit
from aufruf.errors import ProvisionError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--out", required=True, help="directory for passwd, acl, mosquitto.conf and credentials/")
    p.add_argument("--rotate", action="store_true", help="give every user a new password")
    p.add_argument("--rotate-user", action="append", default=[], metavar="USER",
                   help="give only this user a new password (repeatable), e.g. panel-3 when its password leaked")
    p.add_argument("--port", type=int, help="listener port (default: broker.port of the site file)")
    p.add_argument("--bind", help="listen address only (e.g. 127.0.0.1); default all")
    p.add_argument("--controller", action="append", default=None,
                   help="desk controller id(s) to create users for (default: main)")
    p.add_argument("--persistence-dir", help="where Mosquitto keeps its state (default DIR/data)")
    p.add_argument("--run-as", help="'user' line for mosquitto.conf (e.g. mosquitto)")
    p.add_argument("--bridge", action="store_true", help="also create the user bridge-central")
    p.add_argument("--credentials-dir", help="where the per-device password files go (default: the site file's "
                                             "broker.credentials_dir, where the devices look for them)")
    p.add_argument("--tls", action="store_true",
                   help="make (or keep) a site CA and server certificate in DIR/tls and add a TLS listener")
    p.add_argument("--tls-port", type=int, help="port of the TLS listener (default 8883)")
    p.add_argument("--tls-host", action="append", default=[],
                   help="an extra name or address the broker is reached by (repeatable); "
                        "localhost, this host's name and broker.host are always in the certificate")


def main(args: argparse.Namespace) -> int:
    cfg = load_or_exit(args.file)
    creds = args.credentials_dir or cfg.broker.credentials_dir     # one place: where the devices read them
    new: dict[str, str] = {}
    try:
        names = provision.provision(cfg, args.out, rotate=args.rotate, port=args.port, bind=args.bind,
                                    run_as=args.run_as, controllers=tuple(args.controller or ["main"]),
                                    persistence_dir=args.persistence_dir, bridge=args.bridge,
                                    tls=args.tls, tls_port=args.tls_port, tls_hosts=tuple(args.tls_host),
                                    credentials_dir=creds, rotate_users=tuple(args.rotate_user),
                                    new_passwords=new)
    except (ProvisionError, OSError) as e:
        print(f"aufruf provision: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}/passwd, acl, mosquitto.conf and {creds}/ "
          f"for {len(names)} users:")
    for n in names:
        print(f"  {n}")
    if args.tls:
        print(f"TLS: devices set broker.tls = true and broker.ca_file = {args.out}/tls/ca.crt "
              f"(copy ca.crt to each device; keep tls/ca.key secret)")
    staff = {u: pw for u, pw in new.items() if provision.is_staff_login(u)}
    if staff:
        print("new staff sign-in passwords for 'aufruf web' (shown this once; hand each to its counter,")
        print("rotate one with --rotate-user NAME, then reload Mosquitto):")
        for u, pw in staff.items():
            print(f"  {u:<12} {pw}")
    print(f"start the broker with: mosquitto -c {args.out}/mosquitto.conf")
    return 0
