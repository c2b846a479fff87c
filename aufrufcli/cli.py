"""The ``aufruf`` command line: one command, a subcommand per job.

Each subcommand lives in its own module with ``configure(parser)`` and
``main(args) -> int``; only the module of the chosen subcommand is imported,
so ``aufruf check-config`` runs on a laptop without pygame or GPIO libraries.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from aufruf import __version__

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("aufrufcli.demo", "run the whole office on this machine (broker, controller, kiosk, display)"),
    "check-config": ("aufrufcli.checkconfig", "check a site file and print a summary or every problem"),
    "provision": ("aufrufcli.provision_cmd", "write broker users, passwords, ACL and mosquitto.conf"),
    "desk": ("desk.app", "run the desk controller (the queue authority)"),
    "kiosk": ("kiosk.app", "run a ticket kiosk (buttons, printer, LED)"),
    "display": ("display.app", "run a waiting-room display"),
    "web": ("web.app", "run the web server: the board page and each ticket's page behind its QR"),
    "status": ("aufrufcli.staff", "show waiting tickets, desks and devices"),
    "issue": ("aufrufcli.staff", "issue a ticket (info desk)"),
    "call": ("aufrufcli.staff", "send a desk command: next, recall, noshow, done, pause, resume, ..."),
    "report": ("desk.report", "daily statistics from the ledger"),
    "render-ticket": ("kiosk.render", "render a ticket as PNG preview and raw ESC/POS bytes"),
    "screenshot": ("display.screenshot", "render the current board to a PNG"),
    "install": ("aufrufcli.install", "install aufruf as system services on a Raspberry Pi"),
    "keypads": ("aufrufcli.keypads", "list the connected keypads (by-id and by-path) and the counter of each"),
}


# one-shot tools: their output is the answer, log lines only for warnings and errors (-v for all)
QUIET = {"check-config", "provision", "status", "issue", "call", "report", "render-ticket", "screenshot"}

EPILOG = """examples:
  aufruf demo                                   the whole office on this machine
  aufruf check-config /etc/aufruf/site.toml     check a site file
  aufruf call --desk 3 next                     call the next customer to desk 3
  aufruf COMMAND --help                         a command's options, examples and exit codes

exit codes: 0 done, 1 refused or failed (the message says why), 2 wrong usage,
3 the broker or the desk controller cannot be reached (staff commands)"""


def build_parser(chosen: str | None) -> argparse.ArgumentParser:
    """The parser; only the chosen subcommand's module is imported to add its options."""
    parser = argparse.ArgumentParser(prog="aufruf", description="aufruf: waiting tickets and call display.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"aufruf {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, helptext) in COMMANDS.items():
        p = sub.add_parser(name, help=helptext, description=helptext)
        if name == chosen:
            mod = importlib.import_module(module)
            configure = getattr(mod, f"configure_{name.replace('-', '_')}", None) or mod.configure
            configure(p)
            p.set_defaults(_module=mod, _name=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``aufruf`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(chosen if chosen in COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from aufruf import logsetup
    logsetup.setup(args.verbose, quiet=args._name in QUIET)
    mod = args._module
    run = getattr(mod, f"main_{args._name.replace('-', '_')}", None) or mod.main
    try:
        return int(run(args) or 0)
    except KeyboardInterrupt:
        return 130
