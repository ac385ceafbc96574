// The live chart's legend, in HTML (used by livechart.js).
(() => {
  "use strict";

  // The legend is HTML over the chart's top margin, not ECharts' own: ECharts lays its legend
  // out again on every update (about a quarter of a redraw here), this one changes only
  // with the streams shown. A click switches a line (or the warning/critical marks) off and
  // on. Names are text (textContent), never markup.
  const MARKS = { warning: ChartMarks.TONES.warning, critical: ChartMarks.TONES.critical };

  function legendHost(chart, state, onToggle) {
    const dom = chart.getDom();
    const box = dom && dom.parentElement;
    if (!box) return null;
    let host = box.querySelector(":scope > .dash-legend");
    if (!host) {
      host = document.createElement("div");
      host.className = "dash-legend";
      host.setAttribute("role", "group");
      host.setAttribute("aria-label", "Legend: click an entry to hide or show it");
      host.addEventListener("click", (event) => {
        const item = event.target.closest(".dash-legend-item");
        if (!item || !host.contains(item)) return;
        const key = item.dataset.key;
        if (state.off.has(key)) state.off.delete(key);
        else state.off.add(key);
        onToggle();
      });
      box.appendChild(host);
    }
    return host;
  }

  function legendItem(key, label, color, kind, off) {
    const item = document.createElement("button");
    item.type = "button";
    item.className = `dash-legend-item dash-legend-${kind}`;
    item.dataset.key = key;
    item.setAttribute("aria-pressed", off ? "false" : "true");
    item.title = off ? `Show ${label}` : `Hide ${label}`;
    const swatch = document.createElement("span");
    swatch.className = "dash-legend-swatch";
    swatch.style.background = color;
    const name = document.createElement("span");
    name.textContent = label;
    item.append(swatch, name);
    return item;
  }

  // state: the chart's {order, series, off}; onToggle() redraws after a click changed `off`.
  function renderLegend(chart, state, onToggle) {
    const host = legendHost(chart, state, onToggle);
    if (!host) return;
    // Rebuilt only when what it shows changed: a full draw for new annotations leaves it be.
    const single = state.order.length === 1;
    const shown = JSON.stringify([state.order.map((k) => [k, state.series.get(k).color]), [...state.off], single]);
    if (host.dataset.shown === shown) return;
    host.dataset.shown = shown;
    const items = state.order.map((key) => {
      const s = state.series.get(key);
      return legendItem(key, s.name, s.color, "line", state.off.has(key));
    });
    if (state.order.length === 1) {
      for (const kind of ["warning", "critical"]) items.push(legendItem(kind, kind, MARKS[kind], "mark", state.off.has(kind)));
    }
    host.replaceChildren(...items);
  }

  window.ChartLegend = { MARKS, render: renderLegend };
})();
