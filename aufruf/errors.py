"""The exception tree of aufruf: callers catch what they can handle.

As in gpiozero's ``exc.py``, every error is an :class:`AufrufError` and also the
builtin that matches its meaning, so code that knows nothing of aufruf still
catches it the usual way (a bad site file is a ``ValueError``, a broker that
cannot be reached a ``ConnectionError``)::

    AufrufError
    ├── ConfigError      (ValueError)       the site file is unreadable or invalid
    ├── PayloadError     (ValueError)       a payload or topic breaks the protocol
    ├── LinkError        (ConnectionError)  the MQTT link cannot be set up
    ├── LedgerError      (OSError)          the ledger cannot be opened or written
    └── ProvisionError   (RuntimeError)     broker users, ACL or TLS files cannot be made

The device packages add their own below :class:`AufrufError` (``desk.dispatch.Refused``,
``kiosk.printer.PrintError``, ``kiosk.panel.PinFactoryError``,
``aufrufcli.install.InstallError``).
"""


class AufrufError(Exception):
    """Base of every error aufruf raises on purpose."""


class ConfigError(AufrufError, ValueError):
    """The site file is unreadable or invalid; ``problems`` lists every finding."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the site config:\n{lines}")


class PayloadError(AufrufError, ValueError):
    """An MQTT payload or topic does not follow the protocol; the text is the reason sent back."""


class LinkError(AufrufError, ConnectionError):
    """The MQTT link cannot be set up (missing credentials, bad TLS files)."""


class LedgerError(AufrufError, OSError):
    """The ledger cannot be opened, has an unknown schema, or cannot be written."""


class ProvisionError(AufrufError, RuntimeError):
    """Broker users, passwords, ACL or TLS files cannot be made (e.g. no ``openssl``)."""
