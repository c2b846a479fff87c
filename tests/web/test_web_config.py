"""[[webs]] in the site file, the web-<id> broker user and its ACL, the ticket secret."""

import pytest

from aufruf import config, provision, ticketkey
from aufruf.errors import ConfigError
from sites import EXAMPLE

WEB = '\n[[webs]]\nid = "lobby"\nlisten = "0.0.0.0:8080"\npublic_url = "https://warten.example.org"\n'


def test_a_web_server_in_the_site_file():
    cfg = config.parse(EXAMPLE.read_text() + WEB)
    w = cfg.web("lobby")
    assert (w.host, w.port, w.public_url, w.tls_cert, w.max_clients) == ("0.0.0.0", 8080,
                                                                         "https://warten.example.org", None, 1000)
    # the kiosk's QR leads to the ticket page unless the kiosk says otherwise
    assert cfg.kiosk("entrance").qr_url == "https://warten.example.org/t/{number}-{key}"
    own = EXAMPLE.read_text().replace('id = "entrance"', 'id = "entrance"\nqr_url = "https://x.example/{number}"')
    assert config.parse(own + WEB).kiosk("entrance").qr_url == "https://x.example/{number}"
    assert "web lobby: listens on 0.0.0.0:8080" in config.summary(cfg)


def test_web_mistakes_are_named():
    bad = (EXAMPLE.read_text() + '\n[[webs]]\nid = "Lobby"\nlisten = "8080"\npublic_url = "warten"\n'
           'tls_cert = "/etc/c.pem"\nport = 1\n')
    with pytest.raises(ConfigError) as e:
        config.parse(bad, "site.toml")
    p = e.value.problems
    assert any(x.startswith("webs[0].id:") for x in p)
    assert any(x.startswith("webs[0].listen:") and "HOST:PORT" in x for x in p)
    assert any(x.startswith("webs[0].public_url:") and "http(s) URL" in x for x in p)
    assert any(x.startswith("webs[0].tls_key: is required with tls_cert") for x in p)
    assert any(x.startswith("webs[0].port: unknown key") for x in p)


def test_provisioning_makes_the_web_user_and_the_ticket_secret(tmp_path):
    cfg = config.parse(EXAMPLE.read_text() + WEB)
    names = provision.provision(cfg, tmp_path)
    assert "web-lobby" in names
    acl = (tmp_path / "acl").read_text()
    block = acl.split("user web-lobby\n")[1].split("\n\n")[0].splitlines()
    assert "topic write aufruf/jc-mitte/web/lobby/command" in block
    assert not any(line.startswith(("topic write", "topic readwrite")) and "command" in line and "web/lobby" not in line
                   for line in block)
    secret = ticketkey.read_secret(tmp_path / "credentials")
    provision.provision(cfg, tmp_path)                     # kept on a re-run: printed tickets stay valid
    assert ticketkey.read_secret(tmp_path / "credentials") == secret
    provision.provision(cfg, tmp_path, rotate=True)
    assert ticketkey.read_secret(tmp_path / "credentials") != secret


def test_keys_differ_per_number_day_and_site():
    s = b"0123456789abcdef0123"
    k = ticketkey.ticket_key(s, "jc-mitte", "2026-11-25", "K017")
    assert ticketkey.KEY_RE.match(k)
    assert ticketkey.key_ok(s, "jc-mitte", "2026-11-25", "K017", k)
    for other in (("jc-mitte", "2026-11-26", "K017"), ("jc-mitte", "2026-11-25", "K018"),
                  ("jc-nord", "2026-11-25", "K017")):
        assert not ticketkey.key_ok(s, *other, k)
    assert not ticketkey.key_ok(s, "jc-mitte", "2026-11-25", "K017", "ü" * 10)


def test_a_qr_that_needs_a_key_is_printed_only_with_one():
    from kiosk.ticket_layout import TicketData, qr_url
    tmpl = "https://warten.example.org/t/{number}-{key}"
    with_key = TicketData(service="K", number="K017", issued_at_ms=1, key="q7m2xkw4ba")
    assert qr_url(tmpl, with_key) == "https://warten.example.org/t/K017-q7m2xkw4ba"
    assert qr_url(tmpl, TicketData(service="K", number="K017", issued_at_ms=1)) is None  # no secret: no QR
    assert qr_url("https://x.example/{number}", TicketData(service="K", number="K017", issued_at_ms=1)) == \
        "https://x.example/K017"


def test_aufruf_web_says_what_is_missing(tmp_path):
    import subprocess
    import sys
    from sites import REPO
    site = tmp_path / "site.toml"
    site.write_text(EXAMPLE.read_text().replace("/etc/aufruf/credentials", str(tmp_path / "creds")) + WEB)

    def run(*args):
        return subprocess.run([sys.executable, "-m", "aufrufcli", "web", "--config", str(site), *args],
                              cwd=REPO, capture_output=True, text=True, timeout=60)
    r = run("--id", "nope")
    assert r.returncode == 1 and "no web 'nope' in [[webs]]; configured: lobby" in r.stderr
    r = run("--id", "lobby")                                  # not provisioned yet: no ticket secret
    assert r.returncode == 1 and "ticket secret" in r.stderr and "aufruf provision" in r.stderr
