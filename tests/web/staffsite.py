"""The model site with an ``aufruf web`` server ([[webs]] id "lobby"), for the staff pages' tests."""

from __future__ import annotations

from aufruf.config import EXAMPLE_SITE

WEBS = """
[[webs]]
id = "lobby"
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
"""


def site_text(extra: str = "") -> str:
    """The example site file with a [[webs]] table (and ``extra`` lines inside it)."""
    return EXAMPLE_SITE.read_text(encoding="utf-8").replace("[broker]", WEBS + extra + "\n[broker]", 1)


import asyncio  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import threading  # noqa: E402
import urllib.error  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402


class WebThread:
    """A real ``aufruf web`` (web/app.py's WebServer, every route module) on its own event loop thread."""

    def __init__(self, cfg, web_id: str = "lobby"):
        from web.app import WebServer
        self.loop = asyncio.new_event_loop()
        self.svc = WebServer(cfg, web_id, host="127.0.0.1", port=0)
        self._thread = threading.Thread(target=self.loop.run_forever, name="web-test", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.svc.start(), self.loop).result(20)
        self.url = f"http://127.0.0.1:{self.svc.port}"

    def call(self, fn, *args):
        """Run ``fn(*args)`` on the server's loop (the thread that owns its state) and return the result."""
        async def run():
            return fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def stop(self) -> None:
        try:
            asyncio.run_coroutine_threadsafe(self.svc.stop(), self.loop).result(20)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
            self.loop.close()


class Browserless:
    """A hand-made HTTP client with its own cookie jar (what curl or a script could send)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

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
