"""``install.sh`` on the broker Pi of a site with aufruf web: the staff sign-in passwords, shown once."""

import os
import subprocess

from sites import EXAMPLE, REPO

WEB = '\n[[webs]]\nid = "lobby"\nlisten = "0.0.0.0:8080"\npublic_url = "http://warten.example.org"\n'


def install(*args):
    return subprocess.run([str(REPO / "install.sh"), *args], cwd=REPO, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


def test_the_broker_pi_shows_the_staff_passwords_once_and_keeps_them_root_only(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text(encoding="utf-8") + WEB, encoding="utf-8")
    root = tmp_path / "root"
    first = install("--role", "desk,web", "--config", str(site), "--root", str(root))
    assert first.returncode == 0, first.stderr + first.stdout
    creds = root / "etc/aufruf/credentials"
    for user in ("panel-1", "panel-4", "supervisor"):
        pw = (creds / user).read_text().strip()
        assert f"{user:<12} {pw}" in first.stdout
        assert (creds / user).stat().st_mode & 0o777 == 0o600
    assert (creds / "web-lobby").read_text().strip() not in first.stdout
    again = install("--role", "desk,web", "--config", str(site), "--root", str(root))
    assert again.returncode == 0 and "staff sign-in passwords" not in again.stdout
    assert (creds / "panel-1").read_text().strip() not in again.stdout
