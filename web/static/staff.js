"use strict";
// Shared by the staff pages: the data block, the session's event stream (reconnects by
// itself; "signed out" reloads to the sign-in page), durations on the server's clock.
const Staff = (() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const T = data.texts;
  const OFFLINE_AFTER_MS = 12000;
  let lastSeen = Date.now();
  let offset = data.view && data.view.now ? data.view.now - Date.now() : 0;

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const fmt = (s, vars) => s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
  const serverNow = () => Date.now() + offset;

  function duration(ms) {
    if (ms === null || ms === undefined || ms < 0) ms = 0;
    const s = Math.floor(ms / 1000);
    if (s < 60) return fmt(T.s, { s });
    const m = Math.floor(s / 60);
    if (m < 60) return fmt(T.min, { m });
    return fmt(T.h_min, { h: Math.floor(m / 60), m: m % 60 });
  }
  const since = (t) => duration(serverNow() - t);

  function showOffline() {
    const off = Date.now() - lastSeen > OFFLINE_AFTER_MS;
    const e = document.getElementById("offline");
    if (off) { e.textContent = T.offline; e.hidden = false; } else if (e.textContent === T.offline) { e.hidden = true; }
  }

  function signedOut() {
    const q = new URLSearchParams(location.search);
    q.set("out", "1");  // the sign-in form says why it is back
    location.replace(location.pathname + "?" + q.toString());
  }

  function connect(url, handlers) {
    let es = null;
    let delay = 2000;
    const seen = () => { lastSeen = Date.now(); showOffline(); };
    const open = () => {
      es = new EventSource(url);
      es.addEventListener("hello", () => { delay = 2000; seen(); });
      es.addEventListener("tick", seen);
      es.addEventListener("signed_out", () => { es.close(); signedOut(); });
      for (const [name, fn] of Object.entries(handlers)) {
        es.addEventListener(name, (e) => {
          seen();
          const v = JSON.parse(e.data);
          if (v.now) offset = v.now - Date.now();
          fn(v);
        });
      }
      es.onerror = () => {
        if (es.readyState === EventSource.CLOSED) {  // refused (401: signed out) or gone: try again later
          setTimeout(() => fetch(url.split("?")[0].replace(/\/events$/, ""), { credentials: "same-origin" })
            .then((r) => r.text()).then((t) => { if (t.indexOf('id="signin"') >= 0) signedOut(); else open(); })
            .catch(open), delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
    };
    open();
    setInterval(showOffline, 1000);
  }

  return { data, T, el, fmt, duration, since, serverNow, connect, signedOut };
})();
