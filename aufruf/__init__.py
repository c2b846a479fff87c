"""aufruf: the shared core (protocol, site config, MQTT link, command line)."""

__version__ = "0.1.0"
