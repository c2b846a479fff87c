"use strict";
// The supervisor's office view: counters, services, devices, today's figures and alerts.
(() => {
  const { data, T, el, fmt, since } = Staff;
  const $ = (id) => document.getElementById(id);
  let view = data.view;
  for (const [id, key] of [["alerts-h", "alerts"], ["desks-h", "counters"], ["services-h", "services"],
    ["devices-h", "devices"]]) $(id).textContent = T[key];

  function row(cells, header) {
    const tr = el("tr");
    for (const c of cells) {
      const td = el(header ? "th" : "td", c && c.cls, c && typeof c === "object" ? c.text : c);
      if (header) td.scope = "col";
      tr.append(td);
    }
    return tr;
  }
  const table = (id, head, rows) => $(id).replaceChildren(row(head, true), ...rows.map((r) => row(r)));
  const n = (x) => (x === null || x === undefined ? "–" : String(x));

  function render(v) {
    view = v;
    $("alerts").replaceChildren(...(v.alerts.length ? v.alerts.map((a) => {
      const li = el("li", "alert " + a.level + " kind-" + a.kind);
      const words = T["alert_" + a.kind];
      li.append(el("span", "text", words ? fmt(words, a) : a.text));
      if (a.since) li.append(el("span", "when", " · " + since(a.since)));
      return li;
    }) : [el("li", "none", T.no_alerts)]));
    table("desks", [T.counter, T.col_status, T.col_ticket, T.col_services, T.keypad], v.desks.map((d) => [
      d.label,
      d.status ? { text: d.since ? fmt(T[d.status], { t: since(d.since) }) : T[d.status + "_word"], cls: "st-" + d.status }
        : { text: T.unknown, cls: "unknown" },
      d.ticket || "–", d.services.join(" "),
      d.keypad_online === null ? "" : d.keypad_online ? T.online : { text: T.offline_word, cls: "bad" }]));
    table("services", [T.services, T.col_waiting, T.col_oldest, T.col_eta, T.issued, T.served, T.noshows,
      T.median_wait], v.services.map((s) => [
      s.key + " – " + s.name, n(s.waiting), s.waiting && s.oldest_at ? since(s.oldest_at) : "–",
      s.open === false ? { text: T.closed, cls: "bad" } : n(s.eta_min), n(s.issued), n(s.served), n(s.noshow),
      s.median_wait_min === null || s.median_wait_min === undefined ? "–" : fmt(T.min, { m: s.median_wait_min })]));
    $("today").textContent = v.today ? T.today + " " + v.today.day + " · " + T.median_wait + ": " +
      (v.today.median_wait_min === null ? "–" : fmt(T.min, { m: v.today.median_wait_min })) : "";
    table("devices", [T.devices, "", T.printer], v.devices.map((d) => [
      d.role + " " + d.id,
      d.online === null ? { text: T.unknown, cls: "unknown" } : d.online ? { text: T.online, cls: "good" }
        : { text: fmt(T.offline_since, { t: d.since ? since(d.since) : "" }), cls: "bad" },
      d.printer ? { text: (T["printer_" + d.printer] || d.printer) + (d.printer_since ? " · " + since(d.printer_since) : ""),
        cls: d.printer === "ok" ? "good" : "bad" } : ""]));
    const off = $("offline");
    if (v.broker_online === false) { off.textContent = T.broker_offline; off.hidden = false; }
    else if (off.textContent !== T.offline) off.hidden = true;
  }

  const clock = $("clock");
  const fmtTime = new Intl.DateTimeFormat(data.lang, { hour: "2-digit", minute: "2-digit", timeZone: data.tz });
  const tick = () => { clock.textContent = fmtTime.format(new Date(Staff.serverNow())); render(view); };
  tick();
  setInterval(tick, 1000);
  Staff.connect("/office/events" + location.search, { office: render });
})();
