"""``install.sh --role web``: the unit, the web user's password and the ticket secret."""

import os
import subprocess

from sites import EXAMPLE, REPO

WEB = '\n[[webs]]\nid = "lobby"\nlisten = "0.0.0.0:8080"\npublic_url = "http://warten.example.org"\n'


def install(*args):
    return subprocess.run([str(REPO / "install.sh"), *args], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_install_role_web_on_the_broker_pi(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text(encoding="utf-8") + WEB, encoding="utf-8")
    root = tmp_path / "root"
    r = install("--role", "desk,web", "--config", str(site), "--root", str(root))
    assert r.returncode == 0, r.stderr + r.stdout
    assert (root / "etc/systemd/system/aufruf-web@.service").read_bytes() == \
        (REPO / "systemd/aufruf-web@.service").read_bytes()
    creds = root / "etc/aufruf/credentials"
    assert (creds / "web-lobby").exists() and (creds / "ticket-secret").exists()
    assert "user web-lobby" in (root / "etc/aufruf/broker/acl").read_text()
    assert "aufruf-web@lobby.service" in r.stdout


def test_install_role_web_elsewhere_asks_for_its_password_and_the_secret(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text(encoding="utf-8") + WEB, encoding="utf-8")
    r = install("--role", "web", "--no-broker", "--config", str(site), "--root", str(tmp_path / "root"))
    assert r.returncode == 0, r.stderr
    assert "web-lobby is missing: copy it from the broker Pi" in r.stdout
    assert "ticket-secret is missing: copy it from the broker Pi" in r.stdout
    r = install("--role", "web", "--config", str(EXAMPLE), "--root", str(tmp_path / "r2"))
    assert r.returncode == 1 and "0 webs" in r.stderr
