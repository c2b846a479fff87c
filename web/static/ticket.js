"use strict";
// A ticket's own page: place in the line, live; the call, unmissable; "leave the queue".
(() => {
  const { data, T, fmt } = Aufruf;
  if (Aufruf.leaving) return;  // on its way to the remembered language
  const base = location.pathname.replace(/\/+$/, "");  // /t/<ref>, or /s/<site>/t/<ref> on a central server
  let state = null;
  let warned = false;
  const $ = (id) => document.getElementById(id);

  function notify(text) {
    if ("vibrate" in navigator) navigator.vibrate([400, 150, 400, 150, 800]);
    Aufruf.play();
    if ("Notification" in window && Notification.permission === "granted") {
      try { new Notification(text); } catch (e) { /* some phones only notify from a service worker */ }
    }
  }

  function render(v) {
    const prev = state;
    state = v.state;
    const card = $("card");
    card.className = "card state-" + v.state + (v.soon ? " soon" : "");
    $("label").textContent = v.state === "called" ? T.called : T.ticket_title;
    if (v.state === "called") $("service").replaceChildren(Aufruf.arrow(), " ", Aufruf.desk("span", v.desk));
    else $("service").textContent = v.service_name || "";
    $("eta").textContent = "";
    $("hint").textContent = "";
    let status = "";
    if (v.state === "waiting") {
      if (v.ahead === null || v.ahead === undefined) status = "";
      else if (v.ahead_more) status = fmt(T.ahead_many, { n: v.ahead });
      else if (v.ahead === 0) status = T.ahead_0;
      else status = fmt(T.ahead, { n: v.ahead });
      if (v.eta_min !== null && v.eta_min !== undefined && v.ahead > 0) $("eta").textContent = fmt(T.eta, { m: v.eta_min });
      $("hint").textContent = v.soon ? T.ahead_soon : T.keep_open;
      if (v.soon && !warned) { warned = true; if (prev === "waiting") notify(T.ahead_soon); }
    } else if (v.state === "called") {
      status = "";
      document.title = Aufruf.callText(v.number, v.desk);
      if (prev !== "called") notify(document.title);
    } else if (v.state === "unknown") {
      status = T.not_found;
    } else {
      status = T["state_" + v.state] || "";
    }
    $("status").textContent = status;
    $("leave").hidden = v.state !== "waiting";
    if (v.online !== undefined) Aufruf.setOnline(v.online);
  }

  $("leave").textContent = T.leave;
  $("leave").addEventListener("click", async () => {
    if (!window.confirm(T.leave_confirm)) return;
    $("leave").disabled = true;
    try {
      const r = await fetch(base + "/leave" + location.search, { method: "POST", headers: { "X-Requested-With": "aufruf" } });
      const body = await r.json();
      $("result").textContent = body.ok ? body.message : body.error;
    } catch (e) {
      $("result").textContent = T.no_answer;
    }
    $("leave").disabled = false;
  });

  Aufruf.soundButton(T.notify_on, T.notify, () => {
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
  });
  render(data.view || { state: "unknown" });
  Aufruf.connect(base + "/events" + location.search, { ticket: render });
})();
