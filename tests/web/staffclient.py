"""A hand-made HTTP client for the staff pages' tests, with its own cookie jar (what curl or a
script could send: no browser rules apply to it)."""

from __future__ import annotations

import http.cookiejar
import json
import ssl
import urllib.error
import urllib.parse
import urllib.request


class Browserless:
    """A hand-made HTTP client with its own cookie jar (what curl or a script could send)."""

    def __init__(self, base: str, ca_file: str | None = None):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()]
        if ca_file:
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=ca_file)))
        self.opener = urllib.request.build_opener(*handlers)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.base + path, data=body, method=method, headers=headers or {})
        try:
            with self.opener.open(req, timeout=15) as r:
                return r.status, dict(r.headers), r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode("utf-8", "replace")

    def sign_in(self, kind: str, password: str, desk: str | None = None, origin: str | None = None):
        form = {"password": password, **({"desk": desk} if desk else {})}
        return self.request("POST", f"/{kind}/signin", urllib.parse.urlencode(form).encode(),
                            {"Origin": origin or self.base, "Content-Type": "application/x-www-form-urlencoded"})

    def command(self, csrf: str | None, **body):
        h = {"Content-Type": "application/json", "X-Requested-With": "aufruf", "Origin": self.base}
        if csrf is not None:
            h["X-CSRF-Token"] = csrf
        status, _, text = self.request("POST", "/desk/command", json.dumps(body).encode(), h)
        return status, json.loads(text) if text.startswith("{") else text

    def page_data(self, path: str) -> dict:
        status, _, text = self.request("GET", path)
        assert status == 200, (status, text[:300])
        start = text.index('<script type="application/json" id="data">') + len('<script type="application/json" id="data">')
        return json.loads(text[start:text.index("</script>", start)])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None
