"""The model site with an ``aufruf web`` server ([[webs]] id "lobby"), for the staff pages' tests."""

from __future__ import annotations

from aufruf.config import EXAMPLE_SITE

WEBS = """
[[webs]]
id = "lobby"
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
"""


def site_text(extra: str = "") -> str:
    """The example site file with a [[webs]] table (and ``extra`` lines inside it)."""
    return EXAMPLE_SITE.read_text(encoding="utf-8").replace("[broker]", WEBS + extra + "\n[broker]", 1)
