"""``aufruf check-config FILE``: a summary of a valid site file, or every problem in it."""

import argparse
import sys

from . import config
from .errors import ConfigError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="the site config (TOML)")


def main(args: argparse.Namespace) -> int:
    try:
        cfg = config.load(args.file)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return 1
    print(config.summary(cfg))
    print("OK")
    return 0


def load_or_exit(path: str) -> config.SiteConfig:
    """Load the site file for a device command; print every problem and exit 1 when invalid."""
    try:
        return config.load(path)
    except ConfigError as e:
        print(e, file=sys.stderr)
        raise SystemExit(1) from None
