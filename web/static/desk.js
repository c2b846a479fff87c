"use strict";
// The counter panel: big buttons, the keypad's keys, the counter's ticket and its lines.
(() => {
  const { data, T, el, fmt, since } = Staff;
  const $ = (id) => document.getElementById(id);
  let view = data.view;
  let busy = false;

  $("current-h").textContent = T.current;
  $("queue-h").textContent = T.services;
  for (const a of ["next", "recall", "noshow", "done"]) $("b-" + a).textContent = T[a];
  $("call-label").textContent = T.call_number;
  $("b-call").textContent = T.call;
  $("transfer-label").textContent = T.transfer;
  $("b-transfer").textContent = T.transfer;
  $("keys").textContent = T.keys;
  $("call-service").setAttribute("aria-label", T.services);
  $("call-number").setAttribute("aria-label", T.call_number);

  function options(select, list, chosen) {
    select.replaceChildren(...list.map((s) => {
      const o = el("option", null, s.key + " – " + s.name);
      o.value = s.key;
      if (s.key === chosen) o.selected = true;
      return o;
    }));
  }
  options($("call-service"), view.services.map((s) => ({ key: s.key, name: s.name })), view.first_service);
  options($("transfer-service"), view.transfer_to, null);

  function render(v) {
    view = v;
    $("ticket").textContent = v.ticket || T.none;
    $("ticket").classList.toggle("empty", !v.ticket);
    const st = v.status;
    $("since").textContent = !st ? "" : v.since ? fmt(T[st], { t: since(v.since) }) : T[st + "_word"];
    const paused = st === "paused";
    $("b-pause").textContent = paused ? T.resume : T.pause;
    $("b-pause").dataset.action = paused ? "resume" : "pause";
    document.body.classList.toggle("is-paused", paused);
    const svcs = $("services");
    svcs.replaceChildren(...v.services.map((s) => {
      const li = el("li", "staff-service" + (s.open === false ? " closed" : ""));
      const head = el("p", "head");
      head.append(el("span", "name", s.key + " – " + s.name),
        el("span", "count", s.waiting === null || s.waiting === undefined ? "–" : fmt(T.waiting_n, { n: s.waiting })));
      li.append(head);
      const meta = [];
      if (s.waiting && s.oldest_at) meta.push(fmt(T.oldest, { t: since(s.oldest_at) }));
      if (s.open === false) meta.push(T.closed);
      else if (s.eta_min !== null && s.eta_min !== undefined) meta.push(fmt(T.eta, { m: s.eta_min }));
      li.append(el("p", "meta", meta.join(" · ")));
      const next = el("p", "next");
      if (s.next && s.next.length) {
        next.append(el("span", "label", T.next_in_line + ":"));
        for (const n of s.next) next.append(" ", el("span", "num", n));
      } else if (s.waiting === 0) next.textContent = T.nobody;
      li.append(next);
      return li;
    }));
    const off = $("offline");
    if (v.broker_online === false || v.controller_online === false) {
      off.textContent = v.broker_online === false ? T.broker_offline : T.controller_offline;
      off.hidden = false;
    } else if (off.textContent !== T.offline) off.hidden = true;
  }

  function result(text, ok) {
    const r = $("result");
    r.textContent = text;
    r.className = "result " + (ok ? "ok" : "refused");
  }

  async function send(action, extra) {
    if (busy) return;
    busy = true;
    document.body.classList.add("is-busy");
    try {
      const r = await fetch("/desk/command", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": data.csrf, "X-Requested-With": "aufruf" },
        body: JSON.stringify(Object.assign({ action }, extra || {})),
      });
      if (r.status === 401) { Staff.signedOut(); return; }
      const body = await r.json();
      if (body.ok) result(fmt(T.ok, { what: T[action] + (body.ticket ? " " + body.ticket : "") }), true);
      else result(body.error, false);
    } catch (e) {
      result(T.offline, false);
    } finally {
      busy = false;
      document.body.classList.remove("is-busy");
    }
  }

  for (const b of document.querySelectorAll("button[data-action]")) {
    b.addEventListener("click", () => send(b.dataset.action));
  }
  const number = $("call-number");
  function callTyped() {
    const d = number.value.replace(/\D/g, "");
    if (!d) return false;
    number.value = "";
    send("call", { number: $("call-service").value + d.padStart(3, "0").slice(-3) });
    return true;
  }
  $("call-form").addEventListener("submit", (e) => { e.preventDefault(); if (!callTyped()) send("next"); });
  $("transfer-form").addEventListener("submit", (e) => {
    e.preventDefault();
    send("transfer", { service: $("transfer-service").value });
  });

  // the keypad's keys, anywhere on the page (not while typing in a field)
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.altKey || e.metaKey) return;
    const t = e.target;
    const tag = t && t.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    if (tag === "BUTTON" && (e.key === "Enter" || e.key === " ")) return;  // the button's own click
    const k = e.key;
    let handled = true;
    if (k >= "0" && k <= "9") { if (number.value.length < 3) number.value += k; else number.value = ""; }
    else if (k === "Enter" || k === "+") { if (!callTyped()) send("next"); }
    else if (k === "." || k === "," || k === "Delete") { number.value = ""; send("recall"); }
    else if (k === "-") { number.value = ""; send("noshow"); }
    else if (k === "/") { number.value = ""; send("done"); }
    else if (k === "*") { number.value = ""; send($("b-pause").dataset.action); }
    else if (k === "Backspace" || k === "Escape") number.value = "";
    else handled = false;
    if (handled) e.preventDefault();
  });

  render(view);
  setInterval(() => render(view), 1000);  // the minutes count on
  Staff.connect("/desk/events" + location.search, { panel: render });
})();
