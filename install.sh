#!/bin/sh
# Install aufruf on a Raspberry Pi (Raspberry Pi OS / Debian bookworm) as system services.
#   sudo ./install.sh --role desk,kiosk,display --config site.toml
#   sudo ./install.sh --role display --display hall --config site.toml --no-broker
#   ./install.sh --role desk --config site.toml --dry-run     (print every step)
# A thin wrapper of 'aufruf install' that needs only the system's python3;
# see 'aufruf install --help' and docs/deploy.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m aufrufcli install "$@"
