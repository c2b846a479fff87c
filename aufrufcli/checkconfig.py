"""``aufruf check-config FILE``: a summary of a valid site file, or every problem in it."""

import argparse
import sys

from aufruf import config
from aufruf.config import DEFAULT_PATH
from aufruf.errors import ConfigError


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")


def main(args: argparse.Namespace) -> int:
    try:
        cfg = config.load(args.file)
    except ConfigError as e:
        print(e, file=sys.stderr)
        return 1
    print(config.summary(cfg))
    print("OK")
    return 0
