// Browser side of the status grid: one button per followed stream, grouped, coloured by
// state. The server sends the whole grid once (`reset`), then only the cells that changed
// (`update`); this file keeps the cells and redraws only those.
//
// A reset's cell: [stream, state code, shown value | null, since | null]; an update's:
// [index in the reset, state code, shown value | null, since | null]. `since` (epoch s) is
// when a stale stream last had fresh data, or since when a stream has had none. The value
// comes as the text to show (the server decides the precision). Kept: [stream, state, text, since].
// Clicking a cell shows its stream in the chart; Ctrl/Cmd/Shift-click (or Shift+Enter)
// adds or removes it. Hover or focus opens a card whose details come from the server.
(() => {
  "use strict";

  const { host, whenReady, el, ageText } = DashDom;

  const STATES = ["normal", "warning", "critical", "stale", "nodata"]; // app/pages/grid.py STATE_CODES
  const LABELS = { normal: "normal", warning: "warning", critical: "critical", stale: "stale", nodata: "no data" };
  const grids = new Map(); // element id -> grid state

  function grid(id) {
    let g = grids.get(id);
    if (!g) {
      g = { order: [], cells: new Map(), nodes: new Map(), rows: new Map(), selected: {}, highlight: new Set(), filter: { groups: null, states: null }, card: null, hovered: null };
      grids.set(id, g);
    }
    return g;
  }

  function valueText(cell) {
    const [, state, value, since] = cell;
    if (state === "stale") return `stale ${ageText(Date.now() / 1000 - since)}`;
    if (state === "nodata") return "no data";
    return value === null ? "" : value;
  }

  function paint(g, stream) {
    const cell = g.cells.get(stream);
    const node = g.nodes.get(stream);
    if (!cell || !node) return;
    const [, state, value] = cell;
    node.dataset.state = state;
    node.querySelector(".dash-cell-value").textContent = valueText(cell);
    const shown = value === null ? "" : `, ${value}`;
    node.setAttribute("aria-label", `${stream}: ${LABELS[state]}${shown}`);
    const color = g.selected[stream];
    node.setAttribute("aria-pressed", color ? "true" : "false");
    node.style.setProperty("--dash-selected", color || "transparent");
    if (g.highlight.has(stream)) node.dataset.highlight = "true";
    else delete node.dataset.highlight;
    const row = g.rows.get(stream);
    if (row) {
      row.children[1].textContent = LABELS[state];
      row.children[2].textContent = value === null ? "" : value;
    }
    applyFilter(g, stream);
  }

  function applyFilter(g, stream) {
    const node = g.nodes.get(stream);
    const cell = g.cells.get(stream);
    if (!node || !cell) return;
    const f = g.filter;
    const hidden = (f.groups && !f.groups.includes(node.dataset.group)) || (f.states && !f.states.includes(cell[1]));
    node.hidden = !!hidden;
  }

  function build(root, id, g, groups) {
    root.textContent = "";
    g.nodes.clear();
    g.rows.clear();
    const sections = el("div", "dash-grid-groups");
    const table = el("table");
    table.appendChild(el("caption", null, "Every followed stream: state and last normalized value"));
    const head = el("tr");
    ["stream", "state", "normalized"].forEach((h) => head.appendChild(el("th", null, h)));
    table.appendChild(head);
    for (const [group, streams] of groups) {
      const section = el("section", "dash-grid-group");
      section.dataset.group = group;
      section.appendChild(el("h3", "dash-grid-group-name", group));
      const list = el("div", "dash-grid-cells");
      for (const [stream, short] of streams) {
        const button = el("button", "dash-cell");
        button.type = "button";
        button.dataset.stream = stream;
        button.dataset.group = group;
        button.appendChild(el("span", "dash-cell-name", short));
        button.appendChild(el("span", "dash-cell-value"));
        wire(button, id, g);
        list.appendChild(button);
        g.nodes.set(stream, button);
        const row = el("tr");
        [stream, "", ""].forEach((t) => row.appendChild(el("td", null, t)));
        table.appendChild(row);
        g.rows.set(stream, row);
      }
      section.appendChild(list);
      sections.appendChild(section);
    }
    root.appendChild(sections);
    const hidden = el("div", "sr-only"); // a table cannot be made 1px wide itself
    hidden.appendChild(table);
    root.appendChild(hidden);
    g.nodes.forEach((_, stream) => paint(g, stream));
  }

  function select(id, stream, add) {
    emitEvent("grid_select", { grid: id, stream, add });
  }

  function wire(button, id, g) {
    const stream = button.dataset.stream;
    button.addEventListener("click", (e) => select(id, stream, e.ctrlKey || e.metaKey || e.shiftKey));
    button.addEventListener("keydown", (e) => {
      if (e.key === "Escape") hideCard(g);
      if ((e.key === "Enter" || e.key === " ") && (e.shiftKey || e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        select(id, stream, true);
      }
    });
    const open = () => showCard(id, g, button);
    button.addEventListener("mouseenter", open);
    button.addEventListener("focus", open);
    button.addEventListener("mouseleave", () => hideCard(g));
    button.addEventListener("blur", () => hideCard(g));
  }

  // --- the hover card ---------------------------------------------------------------------

  function card(g) {
    if (!g.card) {
      g.card = el("div", "dash-card");
      g.card.setAttribute("role", "tooltip");
      g.card.hidden = true;
      document.body.appendChild(g.card);
    }
    return g.card;
  }

  function showCard(id, g, button) {
    const stream = button.dataset.stream;
    g.hovered = stream;
    const c = card(g);
    c.textContent = "";
    c.appendChild(el("div", "dash-card-title", stream));
    const cell = g.cells.get(stream);
    if (cell) c.appendChild(el("div", "dash-card-line", `${LABELS[cell[1]]}${cell[2] === null ? "" : ` · normalized ${cell[2]}`}`));
    c.appendChild(el("div", "dash-card-line dash-card-pending", "loading details…"));
    const box = button.getBoundingClientRect();
    c.style.left = `${Math.max(8, Math.min(window.innerWidth - 280, box.left))}px`;
    c.style.top = `${box.bottom + window.scrollY + 6}px`;
    c.hidden = false;
    emitEvent("grid_detail", { grid: id, stream });
  }

  function hideCard(g) {
    g.hovered = null;
    if (g.card) g.card.hidden = true;
  }

  function sparkline(points) {
    const values = points.map((p) => p[1]);
    const known = values.filter((v) => v !== null);
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 100 30");
    svg.setAttribute("class", "dash-spark");
    svg.setAttribute("aria-label", "last 6 hours");
    const base = document.createElementNS(ns, "line");
    base.setAttribute("x1", "0");
    base.setAttribute("x2", "100");
    base.setAttribute("y1", "15");
    base.setAttribute("y2", "15");
    base.setAttribute("class", "dash-spark-base");
    svg.appendChild(base);
    if (known.length) {
      const step = 100 / Math.max(1, values.length - 1);
      const parts = [];
      values.forEach((v, i) => {
        if (v !== null) parts.push(`${(i * step).toFixed(1)},${(30 - (v / 100) * 30).toFixed(1)}`);
      });
      const line = document.createElementNS(ns, "polyline");
      line.setAttribute("points", parts.join(" "));
      svg.appendChild(line);
    }
    return svg;
  }

  function fillCard(g, d) {
    if (g.hovered !== d.stream) return;
    const c = card(g);
    c.textContent = "";
    c.appendChild(el("div", "dash-card-title", d.stream));
    const lines = [`state: ${LABELS[d.state]}`];
    if (d.value !== null) lines.push(`normalized ${d.value.toFixed(1)} (${d.deviation >= 0 ? "+" : ""}${d.deviation.toFixed(2)} σ)`);
    lines.push(d.raw === null ? "raw value: none" : `raw value ${d.raw}`);
    lines.push(d.freshAt === null ? "no live event yet" : `last event ${ageText(Date.now() / 1000 - d.freshAt)} ago (${DashPrefs.format(d.freshAt * 1000, false)} ${DashPrefs.zoneName()})`);
    if (d.staleAfter !== null) lines.push(`stale after ${ageText(d.staleAfter)} of silence`);
    lines.forEach((t) => c.appendChild(el("div", "dash-card-line", t)));
    c.appendChild(sparkline(d.spark));
    c.appendChild(el("div", "dash-card-foot", "last 6 hours · 50 = usual level"));
  }

  // Stale and no-data labels count up; refresh them once a second.
  setInterval(() => {
    grids.forEach((g) => {
      g.cells.forEach((cell, stream) => {
        if (cell[1] === "stale") {
          const node = g.nodes.get(stream);
          const text = valueText(cell);
          if (node && node.lastChild.textContent !== text) node.lastChild.textContent = text;
        }
      });
    });
  }, 1000);

  window.StatusGrid = {
    /** Build the grid: groups [[group, [[stream, short], ...]], ...] and every cell. */
    reset(id, groups, cells, selected) {
      whenReady(id, (root) => {
        const g = grid(id);
        g.order = cells.map((c) => c[0]);
        g.cells = new Map(cells.map(([stream, code, value, since]) => [stream, [stream, STATES[code], value, since]]));
        g.selected = selected || {};
        build(root, id, g, groups);
      });
    },
    /** Replace the cells that changed. */
    update(id, cells) {
      whenReady(id, () => {
        const g = grid(id);
        for (const [index, code, value, since] of cells) {
          const stream = g.order[index];
          if (stream === undefined) continue;
          g.cells.set(stream, [stream, STATES[code], value, since]);
          paint(g, stream);
        }
      });
    },
    /** Mark the streams on the chart with their series colour ({stream: color}). */
    selected(id, selected) {
      whenReady(id, () => {
        const g = grid(id);
        g.selected = selected;
        g.nodes.forEach((_, stream) => paint(g, stream));
      });
    },
    /** Outline these streams' cells (an external event's affected streams); [] clears. */
    highlight(id, streams) {
      whenReady(id, () => {
        const g = grid(id);
        g.highlight = new Set(streams);
        g.nodes.forEach((_, stream) => paint(g, stream));
      });
    },
    /** Show only these groups and states (null: all). */
    filter(id, groups, states) {
      whenReady(id, () => {
        const g = grid(id);
        g.filter = { groups, states };
        g.nodes.forEach((_, stream) => applyFilter(g, stream));
      });
    },
    /** The details of the hovered stream, from the server. */
    detail(id, d) {
      const g = grids.get(id);
      if (g) fillCard(g, d);
    },
  };
})();
