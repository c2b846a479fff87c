"""The demo tells where the staff pages are, with passwords that sign in there (both brokers)."""

import re
import sys
from pathlib import Path

import pytest

from aufrufcli.demo import DemoOffice

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from staffclient import Browserless  # noqa: E402


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_the_demo_prints_the_staff_pages_and_their_passwords(tmp_path, broker):
    office = DemoOffice(tmp_path, broker)
    office.start()
    try:
        hint = office.staff_hint()
        m = re.match(r"counter panel: (http://\S+)/desk \(Schalter 1, password (\S+)\); "
                     r"office view: \S+/office \(password (\S+)\)$", hint)
        assert m, hint
        base, panel, supervisor = m.groups()
        b = Browserless(base)
        assert b.sign_in("desk", panel, desk="1")[0] == 303
        assert b.page_data("/desk")["view"]["label"] == "Schalter 1"
        assert Browserless(base).sign_in("office", supervisor)[0] == 303
    finally:
        office.stop()
