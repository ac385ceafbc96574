// Browser side of the external events timeline: one card per event, newest first. The server
// sends every event once (`reset`), then only new or changed ones (`update`); the filters, the
// focused card and its observed figures come from the server too.
//
// Every text from the simulator goes in as text (textContent), never as HTML. A link is made
// only for an http(s) address (checked again here), opened in a new tab that gets no hold on
// this page (rel="noopener noreferrer"); anything else is shown as plain text.
(() => {
  "use strict";

  const { host, whenReady, el, ageText } = DashDom;

  const DAY_MS = 86400000;
  const MAX_CARDS = 200;
  const lists = new Map(); // element id -> timeline state

  function icon(name, cls) {
    const node = el("i", `q-icon notranslate material-icons ${cls || ""}`, name);
    node.setAttribute("aria-hidden", "true");
    return node;
  }

  function stateOf(id) {
    let t = lists.get(id);
    if (!t) {
      t = { events: new Map(), filter: { kinds: null, levels: null, span: 7 * DAY_MS }, focused: null, observed: {} };
      lists.set(id, t);
    }
    return t;
  }

  function ago(ms) {
    const seconds = (Date.now() - ms) / 1000;
    if (Math.abs(seconds) < 45) return "just now";
    return seconds > 0 ? `${ageText(seconds)} ago` : `in ${ageText(-seconds)}`;
  }

  function lasting(ev) {
    if (ev.end !== null) return `for ${ageText((ev.end - ev.ts) / 1000)}`;
    return ev.duration ? `duration: ${ev.duration}` : "";
  }

  function safeHref(link) {
    if (typeof link !== "string") return null;
    try {
      const url = new URL(link);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function visible(t, ev) {
    const f = t.filter;
    if (f.kinds && !f.kinds.includes(ev.kind)) return false;
    if (f.levels && !f.levels.includes(ev.level)) return false;
    return ev.ts >= Date.now() - f.span;
  }

  function markerHidden(ev) {
    return !!(window.LiveChart && (LiveChart.isHidden(null) || LiveChart.isHidden(ev.key)));
  }

  function markerButton(ev) {
    const hidden = markerHidden(ev);
    const button = el("button", "dash-event-marker");
    button.type = "button";
    button.appendChild(icon(hidden ? "visibility_off" : "visibility"));
    button.setAttribute("aria-pressed", hidden ? "false" : "true");
    button.setAttribute("aria-label", "Marker on the chart");
    button.title = hidden ? "Marker hidden: show it on the chart" : "Marker shown: hide it on the chart";
    button.addEventListener("click", (e) => {
      e.stopPropagation();
      if (!window.LiveChart) return;
      if (LiveChart.isHidden(null)) LiveChart.setHidden(null, false);
      LiveChart.setHidden(ev.key, !hidden);
      renderAll();
    });
    return button;
  }

  function head(id, t, ev) {
    const row = el("div", "dash-event-head");
    row.appendChild(icon(ev.icon, "dash-event-icon"));
    const title = el("button", "dash-event-title", ev.title || "(no title)");
    title.type = "button";
    title.setAttribute("aria-pressed", t.focused === ev.id ? "true" : "false");
    title.title = "Highlight its streams in the grid and add them to the chart";
    row.appendChild(title);
    row.appendChild(el("span", "dash-event-level", ev.severity || "no severity"));
    const when = el("time", "dash-event-when", ago(ev.ts));
    when.dateTime = new Date(ev.ts).toISOString();
    when.title = `${DashPrefs.format(ev.ts)} ${DashPrefs.zoneName()}`;
    when.dataset.ts = String(ev.ts);
    row.appendChild(when);
    row.appendChild(markerButton(ev));
    return row;
  }

  function streams(t, ev) {
    const list = el("ul", "dash-event-streams");
    if (!ev.streams.length) list.appendChild(el("li", "dash-muted", `no affected streams named · expected: ${ev.expected}`));
    const observed = t.focused === ev.id ? t.observed : {};
    for (const stream of ev.streams) {
      const item = el("li");
      item.dataset.stream = stream;
      item.appendChild(el("span", "dash-event-stream", stream));
      item.appendChild(el("span", "dash-event-expected", `expected: ${ev.expected}`));
      if (observed[stream] !== undefined) item.appendChild(el("span", "dash-event-observed", `observed: ${observed[stream]}`));
      list.appendChild(item);
    }
    return list;
  }

  function link(ev) {
    const href = safeHref(ev.link);
    if (href) {
      const a = el("a", "dash-event-link", ev.link);
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    const refused = ev.link || ev.refusedLink;
    return refused ? el("span", "dash-event-refused", `link not opened (not an http or https address): ${refused}`) : null;
  }

  function card(id, t, ev) {
    const node = el("article", "dash-event");
    node.setAttribute("role", "listitem");
    Object.assign(node.dataset, { id: ev.id, kind: ev.kind, level: ev.level });
    if (t.focused === ev.id) node.dataset.focused = "true";
    node.appendChild(head(id, t, ev));
    const type = ev.kind === "other" ? `type: ${ev.type || "none given"} (not one the contract names)` : ev.type;
    const facts = [type, lasting(ev), `from ${ev.sources.join(", ")}`, ev.ai ? "injected by AI" : ""];
    node.appendChild(el("div", "dash-event-facts", facts.filter(Boolean).join(" · ")));
    node.appendChild(streams(t, ev));
    if (ev.description) node.appendChild(el("p", "dash-event-desc", ev.description));
    const a = link(ev);
    if (a) node.appendChild(a);
    node.addEventListener("click", (e) => {
      if (e.target.closest("a, .dash-event-marker")) return;
      emitEvent("timeline_focus", { timeline: id, id: ev.id });
    });
    return node;
  }

  function toolbar(t, shown, total) {
    const bar = el("div", "dash-timeline-bar");
    bar.appendChild(el("span", "dash-muted dash-timeline-shown", total ? `${shown} of ${total} shown, newest first` : ""));
    const all = el("button", "dash-timeline-all");
    all.type = "button";
    const hidden = !!(window.LiveChart && LiveChart.isHidden(null));
    all.appendChild(icon(hidden ? "visibility_off" : "visibility"));
    all.appendChild(el("span", null, hidden ? "Markers hidden on the chart" : "Markers shown on the chart"));
    all.setAttribute("aria-pressed", hidden ? "false" : "true");
    all.addEventListener("click", () => {
      if (window.LiveChart) LiveChart.setHidden(null, !hidden);
      renderAll();
    });
    bar.appendChild(all);
    return bar;
  }

  function render(id, root) {
    const t = stateOf(id);
    const active = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".dash-event") : null;
    const refocus = active && root.contains(active) ? [active.dataset.id, document.activeElement.className] : null;
    const sorted = [...t.events.values()].sort((a, b) => b.ts - a.ts || (a.id < b.id ? -1 : 1));
    const shown = sorted.filter((ev) => visible(t, ev));
    const list = el("div", "dash-timeline-list");
    shown.slice(0, MAX_CARDS).forEach((ev) => list.appendChild(card(id, t, ev)));
    if (shown.length > MAX_CARDS) list.appendChild(el("p", "dash-muted", `${shown.length - MAX_CARDS} older events not shown`));
    if (!shown.length) list.appendChild(el("p", "dash-muted dash-timeline-empty", sorted.length ? "No event matches these filters." : "No external events to show."));
    root.textContent = "";
    root.appendChild(toolbar(t, shown.length, sorted.length));
    root.appendChild(list);
    if (refocus) {
      const again = [...root.querySelectorAll(".dash-event")].find((n) => n.dataset.id === refocus[0]);
      const target = again && again.getElementsByClassName(refocus[1].split(" ")[0])[0];
      if (target) target.focus();
    }
  }

  // Renders wait for the next frame, once for all that changed: a tab's first events and its
  // preferences arrive together, and the panel (below the fold) rendered twice, each time
  // before the messages that bring the chart's first points were read.
  const due = new Set();
  let frame = null;
  function renderSoon(id) {
    due.add(id);
    if (frame !== null) return;
    frame = requestAnimationFrame(() => {
      frame = null;
      const ids = [...due];
      due.clear();
      ids.forEach((key) => {
        const root = host(key);
        if (root) render(key, root);
      });
    });
  }

  function renderAll() {
    lists.forEach((_, id) => renderSoon(id));
  }

  // Relative times move on; the zone of the absolute ones may change.
  setInterval(() => {
    document.querySelectorAll(".dash-event-when").forEach((node) => {
      const text = ago(Number(node.dataset.ts));
      if (node.textContent !== text) node.textContent = text;
    });
  }, 30000);
  window.addEventListener("dash-prefs", renderAll);

  window.Timeline = {
    /** Replace every event: [{id, key, ts, end, kind, type, icon, title, level, ...}]. */
    reset(id, events) {
      whenReady(id, () => {
        const t = stateOf(id);
        t.events = new Map(events.map((ev) => [ev.id, ev]));
        renderSoon(id);
      });
    },
    /** Add or replace the events that changed. */
    update(id, events) {
      whenReady(id, () => {
        const t = stateOf(id);
        events.forEach((ev) => t.events.set(ev.id, ev));
        renderSoon(id);
      });
    },
    /** Show only these types and severities (null: all), from the last `spanMs`. */
    filter(id, kinds, levels, spanMs) {
      whenReady(id, () => {
        stateOf(id).filter = { kinds, levels, span: spanMs };
        renderSoon(id);
      });
    },
    /** Mark the focused event (null: none). */
    focus(id, eventId) {
      whenReady(id, () => {
        const t = stateOf(id);
        t.focused = eventId;
        t.observed = {};
        renderSoon(id);
      });
    },
    /** The focused event's observed change per stream: {stream: words}. */
    observed(id, eventId, rows) {
      whenReady(id, () => {
        const t = stateOf(id);
        if (t.focused !== eventId) return;
        t.observed = rows;
        renderSoon(id);
      });
    },
  };
})();
