"use strict";
// Shared by the pages: the page's data block, the remembered language, the event stream
// with reconnect, the "offline" banner after 10 s without the server, and the gong after a click.
const Aufruf = (() => {
  const data = JSON.parse(document.getElementById("data").textContent);
  const T = data.texts;
  const STORE = "aufruf.lang";
  // a number and a counter always read left to right, also on a right-to-left page
  const RTL = data.dir === "rtl";
  const ARROW = RTL ? "←" : "→";

  // The language chosen with ?lang= is kept in this browser (local storage, no cookie):
  // the same ticket's address opened again without ?lang= comes back in it.
  function remembered() {
    const asked = new URLSearchParams(location.search).get("lang");
    let stored = null;
    try {
      if (asked === data.lang) { localStorage.setItem(STORE, data.lang); return false; }
      stored = localStorage.getItem(STORE);
    } catch (e) { return false; }  // storage switched off: the page stays in its language
    if (!stored || stored === data.lang || !data.langs.includes(stored)) return false;
    const q = new URLSearchParams(location.search);
    q.set("lang", stored);
    location.replace(location.pathname + "?" + q.toString());
    return true;
  }
  const leaving = remembered();
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

  // a ticket number in its own left-to-right isolate; a counter's label in its own
  // isolate with the direction of its letters ("Schalter 3" ltr, an Arabic label rtl)
  function num(tag, text) { const e = el(tag, "num", text); e.dir = "ltr"; return e; }
  function desk(tag, text) { const e = el(tag, "desk", text); e.dir = "auto"; return e; }
  function arrow() { const e = el("span", "arrow", ARROW); e.setAttribute("aria-hidden", "true"); return e; }
  // the same as plain text (title, notification): Unicode isolates around number and counter
  function callText(number, deskLabel) {
    return RTL ? "\u2066" + number + "\u2069 " + ARROW + " \u2068" + deskLabel + "\u2069"
      : number + " " + ARROW + " " + deskLabel;
  }

  return { data, T, leaving, connect, setOnline, soundButton, play, el, fmt, num, desk, arrow, callText,
    sound: () => soundOn };
})();
