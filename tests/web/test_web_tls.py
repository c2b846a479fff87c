"""HTTPS in aufruf web itself, with the site CA's server certificate from ``aufruf provision --tls``."""

import ssl
import urllib.error
import urllib.request

from sites import free_port
from webservers import WebSite, WebThread


class TlsWebSite(WebSite):
    def __init__(self, root):
        tls = root / "broker" / "tls"
        super().__init__(root, extra=f'tls_cert = "{tls / "server.crt"}"\ntls_key = "{tls / "server.key"}"\n')

    def provision_options(self) -> dict:
        if not hasattr(self, "tls_port"):
            self.tls_port = free_port()
        return {"tls": True, "tls_port": self.tls_port, "tls_hosts": ("127.0.0.1",)}


def test_the_pages_over_https_with_the_site_ca(tmp_path):
    site = TlsWebSite(tmp_path)
    web = WebThread(site)
    try:
        ctx = ssl.create_default_context(cafile=str(tmp_path / "broker" / "tls" / "ca.crt"))
        with urllib.request.urlopen(f"https://127.0.0.1:{site.web_port}/", context=ctx, timeout=5) as r:
            assert r.status == 200 and b"Jobcenter Mitte" in r.read()
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
        try:   # plain HTTP on the TLS port gets nothing
            urllib.request.urlopen(f"http://127.0.0.1:{site.web_port}/", timeout=5).read()
            raise AssertionError("plain HTTP was answered on the TLS port")
        except (OSError, urllib.error.URLError):
            pass
    finally:
        web.stop()
        site.stop()
