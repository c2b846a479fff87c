"""aufruf: the shared core (wire protocol, site config, MQTT link, errors, logging).

The device packages (``desk``, ``kiosk``, ``display``, ``web``) and the command
line (``aufrufcli``) stand on it; it imports none of them.
"""

__version__ = "0.1.0"
