"""The examples in broker_config/ are what the code generates (not a stale hand copy)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_generated_examples_are_current():
    spec = importlib.util.spec_from_file_location("regenerate", REPO / "broker_config" / "regenerate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name, text in mod.render().items():
        assert (REPO / "broker_config" / name).read_text(encoding="utf-8") == text, \
            f"broker_config/{name} is out of date: python broker_config/regenerate.py"


def test_production_conf_refuses_anonymous_and_has_tls():
    text = (REPO / "broker_config" / "aufruf.conf").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert "allow_anonymous false" in lines and "password_file /etc/aufruf/broker/passwd" in lines
    assert "listener 1883" in lines and "listener 8883" in lines
    assert "persistence true" in lines
