"use strict";
// The board page: what the wall board shows, pushed by the server (never polled).
(() => {
  const { data, T, el, fmt } = Aufruf;
  if (Aufruf.leaving) return;  // on its way to the remembered language
  const HISTORY = 8;
  document.getElementById("now-h").textContent = T.now_calling;
  document.getElementById("last-h").textContent = T.last_calls;
  document.getElementById("waiting-h").textContent = T.waiting;

  function callNode(tag, c) {
    const n = el(tag, "call" + (c.priority ? " priority" : ""));
    n.append(Aufruf.num("span", c.number), Aufruf.arrow(), Aufruf.desk("span", c.desk));
    return n;
  }

  function renderNow(c) {
    const now = document.getElementById("now");
    now.replaceChildren(c ? callNode("p", c) : el("p", "none", T.no_calls));
  }

  function render(v) {
    renderNow(v.calls[0]);
    const list = document.getElementById("calls");
    list.replaceChildren(...v.calls.slice(1, 1 + HISTORY).map((c) => callNode("li", c)));
    const svcs = document.getElementById("services");
    svcs.replaceChildren(...v.services.map((s) => {
      const li = el("li", "service" + (s.open ? "" : " closed"));
      li.append(el("span", "name", s.name),
        el("span", "count", s.waiting === null || s.waiting === undefined ? "–" : fmt(T.waiting_n, { n: s.waiting })),
        el("span", "eta", !s.open ? T.closed : (s.eta_min === null || s.eta_min === undefined ? "" : fmt(T.eta, { m: s.eta_min }))));
      return li;
    }));
    Aufruf.setOnline(v.online);
  }

  function onCall(c) {
    renderNow(c);
    const now = document.getElementById("now");
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the highlight
    now.classList.add("flash");
    Aufruf.play();
  }

  const clock = document.getElementById("clock");
  // a 24-hour clock in the digits the ticket is printed in, in every language
  const fmtTime = new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit", timeZone: data.tz,
    hourCycle: "h23", numberingSystem: "latn" });
  const tickClock = () => { clock.textContent = fmtTime.format(new Date()); };
  tickClock();
  setInterval(tickClock, 1000);

  Aufruf.soundButton(T.sound_is_on, T.sound_enable);
  render(data.view);
  // relative: the board is at / on a site's server, at /s/<site>/ on a central one
  Aufruf.connect("events" + location.search, { board: render, call: onCall });
})();
