"""The small exception tree of aufruf: callers catch what they can handle."""


class AufrufError(Exception):
    """Base of every error aufruf raises on purpose."""


class ConfigError(AufrufError):
    """The site file is unreadable or invalid; ``problems`` lists every finding."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the site config:\n{lines}")


class PayloadError(AufrufError):
    """An MQTT payload or topic does not follow the protocol; the text is the reason sent back."""


class LinkError(AufrufError):
    """The MQTT link cannot be set up (missing credentials, bad TLS files)."""


class LedgerError(AufrufError):
    """The ledger cannot be opened or has an unknown schema."""


class HardwareError(AufrufError, OSError):
    """A GPIO pin or device the site file names cannot be opened (in use, no GPIO chip, no permission)."""
