"""python-escpos's printer database kept between kiosk starts (kiosk/printer_db.py): each case is a
fresh interpreter, as a kiosk start is, since the library reads its database once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START = """
import json, logging, sys
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
from kiosk import printer_db
where = printer_db.load()
from escpos.printer import Dummy
d = Dummy(profile="TM-T88III")  # a profile out of the database
d.text("K017\\n")
print(json.dumps({"where": str(where) if where else None, "bytes": len(d.output)}))
"""


def start(env: dict[str, str]) -> tuple[dict, str]:
    e = {k: v for k, v in os.environ.items()
         if k not in ("CACHE_DIRECTORY", "XDG_CACHE_HOME", "ESCPOS_CAPABILITIES_PICKLE_DIR")}
    p = subprocess.run([sys.executable, "-c", START], cwd=REPO, env={**e, "PYTHONPATH": str(REPO), **env},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout), p.stderr


def pickles(d: Path) -> list[Path]:
    return sorted(d.glob("*.capabilities.pickle"))


def test_second_start_reads_the_kept_database(tmp_path):
    cache = tmp_path / "cache"
    out, _ = start({"CACHE_DIRECTORY": str(cache)})  # systemd's CacheDirectory=
    assert out == {"where": str(cache), "bytes": out["bytes"]} and out["bytes"] > 0
    [kept] = pickles(cache)
    before = (kept.stat().st_mtime_ns, kept.read_bytes())
    out2, err = start({"CACHE_DIRECTORY": str(cache)})
    assert out2 == out and err == ""
    assert (kept.stat().st_mtime_ns, kept.read_bytes()) == before  # read, not parsed and written again


def test_without_systemd_the_users_cache(tmp_path):
    out, _ = start({"XDG_CACHE_HOME": str(tmp_path)})
    assert out["where"] == str(tmp_path / "aufruf")
    assert pickles(tmp_path / "aufruf")


def test_a_broken_kept_database_is_parsed_afresh(tmp_path):
    """A power cut while python-escpos wrote its pickle in place: the kiosk still starts."""
    cache = tmp_path / "cache"
    good, _ = start({"CACHE_DIRECTORY": str(cache)})
    [kept] = pickles(cache)
    whole = kept.read_bytes()
    kept.write_bytes(whole[: len(whole) // 3])
    os.utime(kept, (kept.stat().st_atime + 60, kept.stat().st_mtime + 60))  # newer than the YAML: it is read
    out, err = start({"CACHE_DIRECTORY": str(cache)})
    assert out == good
    assert "could not be read" in err and "parsed afresh" in err
    assert kept.read_bytes() == whole


def test_no_usable_cache_directory_falls_back_with_a_warning(tmp_path):
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    out, err = start({"CACHE_DIRECTORY": str(not_a_dir)})
    assert out["where"] is None and out["bytes"] > 0
    assert "parsed at every start" in err


def test_a_directory_given_by_hand_is_left_alone(tmp_path):
    out, _ = start({"ESCPOS_CAPABILITIES_PICKLE_DIR": str(tmp_path), "CACHE_DIRECTORY": str(tmp_path / "no")})
    assert out["where"] is None
    assert pickles(tmp_path) and not (tmp_path / "no").exists()
