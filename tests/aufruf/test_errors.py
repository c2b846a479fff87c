"""The error tree: every aufruf error is an AufrufError and the builtin of its meaning."""

import os
import subprocess
import sys

import pytest

from aufruf import errors, sitetls
from aufrufcli.install import InstallError
from desk.dispatch import Refused
from kiosk.panel import PinFactoryError
from kiosk.printer import PrintError
from sites import REPO


@pytest.mark.parametrize("cls,builtin", [
    (errors.ConfigError, ValueError), (errors.PayloadError, ValueError), (errors.LinkError, ConnectionError),
    (errors.LedgerError, OSError), (errors.ProvisionError, RuntimeError), (Refused, ValueError),
    (PrintError, OSError), (PinFactoryError, ValueError), (InstallError, RuntimeError),
])
def test_each_error_is_an_aufruf_error_and_its_builtin(cls, builtin):
    assert issubclass(cls, errors.AufrufError) and issubclass(cls, builtin)


def test_tls_without_openssl_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))            # no openssl anywhere
    with pytest.raises(errors.ProvisionError, match="apt-get install -y openssl"):
        sitetls.ensure(tmp_path / "tls", "jc-mitte", ("localhost",))


def test_provision_tls_without_openssl_is_a_message_not_a_traceback(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "provision", str(REPO / "examples" / "site.toml"),
                        "--out", str(tmp_path / "broker"), "--tls"], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1, r.stderr
    assert "openssl" in r.stderr and "Traceback" not in r.stderr
