"use strict";
// Shared by the pages: the page's data block, the event stream with reconnect, the
// "offline" banner after 10 s without the server, and the gong after a click.
const Aufruf = (() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const T = data.texts;
  const OFFLINE_AFTER_MS = 10000;
  let lastSeen = Date.now();
  let serverOnline = true;
  let soundOn = false;
  const gong = new Audio("/static/gong.wav");
  gong.preload = "auto";

  function showOffline() {
    const off = !serverOnline || Date.now() - lastSeen > OFFLINE_AFTER_MS;
    const el = document.getElementById("offline");
    el.textContent = T.offline;
    el.hidden = !off;
    document.body.classList.toggle("is-offline", off);
  }

  function connect(url, handlers) {
    let es = null;
    let delay = 2000;
    const seen = () => { lastSeen = Date.now(); showOffline(); };
    const open = () => {
      es = new EventSource(url);
      es.addEventListener("hello", () => { delay = 2000; seen(); });
      es.addEventListener("tick", (e) => { serverOnline = JSON.parse(e.data).online; seen(); });
      for (const [name, fn] of Object.entries(handlers)) {
        es.addEventListener(name, (e) => { seen(); fn(JSON.parse(e.data)); });
      }
      es.onerror = () => {
        // EventSource retries by itself while the server is away; a refusal (503) closes it
        if (es.readyState === EventSource.CLOSED) {
          setTimeout(open, delay);
          delay = Math.min(delay * 2, 30000);
        }
      };
    };
    open();
    setInterval(showOffline, 1000);
  }

  function setOnline(on) { serverOnline = on; showOffline(); }

  function soundButton(onLabel, offLabel, extra) {
    const b = document.getElementById("sound");
    b.textContent = offLabel;
    b.addEventListener("click", () => {
      soundOn = !soundOn;
      b.setAttribute("aria-pressed", String(soundOn));
      b.textContent = soundOn ? onLabel : offLabel;
      if (soundOn) { play(); if (extra) extra(); }
    });
  }

  function play() {
    if (!soundOn) return;
    gong.currentTime = 0;
    const p = gong.play();
    // data-gongs on <body>: how often the gong really played (what a test or a curious admin can see)
    const played = () => { document.body.dataset.gongs = String(Number(document.body.dataset.gongs || 0) + 1); };
    if (p && p.then) p.then(played, () => {}); else played();
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function fmt(s, vars) { return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k])); }

  return { data, T, connect, setOnline, soundButton, play, el, fmt, sound: () => soundOn };
})();
