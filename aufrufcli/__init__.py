"""aufruf's command line, demo, staff commands and installer: the top floor.

Above the device packages (``desk``, ``kiosk``, ``display``) and the shared
core (``aufruf``); nothing below imports this package.
"""

from aufruf import __version__

__all__ = ["__version__"]
