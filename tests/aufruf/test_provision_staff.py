"""Staff sign-in users of aufruf web (panel-<desk>, supervisor): made, shown once, rotatable."""

import os
import subprocess
import sys
from pathlib import Path

from aufruf import config, provision

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "web"))
from webservers import web_site_text  # noqa: E402


def load(tmp_path, text):
    p = tmp_path / "site.toml"
    p.write_text(text, encoding="utf-8")
    return config.load(p), p


def test_no_web_server_no_staff_logins(tmp_path):
    cfg, _ = load(tmp_path, config.EXAMPLE_SITE.read_text(encoding="utf-8"))
    assert not [u for u in provision.users(cfg) if provision.is_staff_login(u.name)]


def test_each_counter_gets_a_panel_user_that_commands_only_its_desk(tmp_path):
    cfg, _ = load(tmp_path, web_site_text(8080))
    users = {u.name: u for u in provision.users(cfg)}
    assert users["panel-3"].write == ("desk/3/command",)
    assert set(users["panel-3"].read) == {"desk/3/reply", "desk/3/state", "queue", "line/K", "status/controller/+"}
    assert "line/N" in users["panel-1"].read
    assert users["supervisor"].write == ()
    acl = provision.acl_text(cfg, list(users.values()))
    block = acl.split("user supervisor\n", 1)[1].split("\n\n", 1)[0]
    assert block and all(line.startswith("topic read ") for line in block.splitlines())


def test_passwords_are_typeable_shown_once_kept_and_rotated_one_by_one(tmp_path):
    cfg, _ = load(tmp_path, web_site_text(8080))
    new: dict = {}
    provision.provision(cfg, tmp_path / "b", port=1883, new_passwords=new)
    creds = tmp_path / "b" / "credentials"
    pw3 = new["panel-3"]
    assert len(pw3) == 19 and pw3.count("-") == 3 and not set(pw3) & set("0o1li")
    assert (creds / "panel-3").read_text().strip() == pw3
    assert (creds / "panel-3").stat().st_mode & 0o777 == 0o600      # not for the device services
    assert (creds / "keypad-3").stat().st_mode & 0o777 == 0o640
    again: dict = {}
    provision.provision(cfg, tmp_path / "b", port=1883, new_passwords=again)
    assert again == {}                                              # re-runs keep every password
    rotated: dict = {}
    provision.provision(cfg, tmp_path / "b", port=1883, rotate_users=("panel-3",), new_passwords=rotated)
    assert list(rotated) == ["panel-3"] and rotated["panel-3"] != pw3
    assert (creds / "panel-2").read_text().strip() == new["panel-2"]


def test_the_command_prints_new_staff_passwords_once_and_refuses_unknown_users(tmp_path):
    _, path = load(tmp_path, web_site_text(8080))

    def run(*extra):
        return subprocess.run([sys.executable, "-m", "aufrufcli", "provision", str(path), "--out",
                               str(tmp_path / "b"), "--credentials-dir", str(tmp_path / "b" / "credentials"),
                               *extra], cwd=REPO, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=30)
    first = run()
    assert first.returncode == 0, first.stderr
    pw = (tmp_path / "b" / "credentials" / "supervisor").read_text().strip()
    assert "new staff sign-in passwords" in first.stdout and pw in first.stdout
    assert (tmp_path / "b" / "credentials" / "kiosk-entrance").read_text().strip() not in first.stdout
    second = run()
    assert second.returncode == 0 and "new staff sign-in passwords" not in second.stdout and pw not in second.stdout
    third = run("--rotate-user", "panel-4")
    assert third.returncode == 0 and "panel-4" in third.stdout.split("new staff sign-in passwords")[1]
    bad = run("--rotate-user", "panel-9")
    assert bad.returncode == 1 and "cannot rotate unknown user(s) panel-9" in bad.stderr
