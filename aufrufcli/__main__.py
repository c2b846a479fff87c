"""``python -m aufrufcli`` is the ``aufruf`` command."""

import sys

from .cli import main

sys.exit(main())
