"""The model site with appointments: an upstairs room desk and the [appointments] table."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "site.toml"

EXTRA = """
[[services]]
key = "B"
name = { de = "Beratung", en = "Counselling" }

[[desks]]
id = "r214"
label = { de = "Raum 2.14", en = "Room 2.14" }
services = ["B"]
floor = "2"
room = "2.14"

[appointments]
series = "T"
early_min = 30
late_min = 10
"""


def site_text(extra_appointments: str = "") -> str:
    """The example site plus the room desk and ``[appointments]`` (more keys in ``extra_appointments``)."""
    text = EXAMPLE.read_text(encoding="utf-8")
    # keep [[services]] and [[desks]] before the other tables: append them where TOML allows (arrays of tables
    # may appear anywhere, but a key after [appointments] would belong to it)
    return text + EXTRA + extra_appointments


CSV_OK = (b"time,code,desk,service,note\n"
          b"10:00,AB12CD,r214,B,bring documents\n"
          b"10:30,XY99ZZ,r214,B,\n"
          b"11:00,QQ11QQ,1,N,\n")
