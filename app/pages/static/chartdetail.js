// Finer points for the window on screen (used by livechart.js). A long series reaches the tab
// thinned to about two points a pixel (app/pages/thinning.py); once the operator zooms or
// pans, the tab asks the server for the rows of its new window at its own width
// (emitEvent "chart_detail") and splices the answer in, so the finest points travel only
// for the range looked at.
(() => {
  "use strict";

  const WAIT_MS = 150; // a zoom gesture sends many events: ask once it has settled

  function replaceRange(arr, start, end, items) {
    const i = ChartReduce.firstAtOrAfter(arr, start);
    const j = ChartReduce.firstAtOrAfter(arr, end + 1);
    return arr.slice(0, i).concat(items, arr.slice(j));
  }

  /** After a reset: what the server sent thinned, and the window it is already fine for. */
  function received(s, thinned) {
    s.thinned = !!thinned;
    s.fine = Array.isArray(thinned) ? [thinned[0], thinned[1], Infinity] : null;
  }

  /** The window changed: ask for finer rows of every thinned series, once it settles. */
  function want(state) {
    clearTimeout(state.detailTimer);
    state.detailTimer = setTimeout(() => ask(state), WAIT_MS);
  }

  function ask(state) {
    const view = state.view;
    if (view.width == null || !state.chart || typeof emitEvent !== "function") return;
    const px = Math.max(1, Math.round(state.chart.getWidth()));
    const start = Math.floor(view.start);
    const end = Math.ceil(view.end);
    for (const key of state.order) {
      const s = state.series.get(key);
      if (!s || !s.thinned) continue;
      const fine = s.fine;
      if (fine && fine[0] <= start && fine[1] >= end && fine[2] >= px) continue;
      s.fine = [start, end, px];
      emitEvent("chart_detail", { chart: state.id, key, start, end, px });
    }
  }

  /** Splice the server's rows of [start, end] into a series (line and anomaly marks). */
  function apply(s, start, end, rows) {
    const line = [];
    const warning = [];
    const critical = [];
    for (const r of rows) {
      if (r[0] < start || r[0] > end) continue;
      line.push([r[0], r[1], r[2], r[4] === undefined ? null : r[4]]);
      if (r[1] !== null && r[3] === 1) warning.push([r[0], r[1]]);
      if (r[1] !== null && r[3] === 2) critical.push([r[0], r[1]]);
    }
    s.line = replaceRange(s.line, start, end, line);
    s.warning = replaceRange(s.warning, start, end, warning);
    s.critical = replaceRange(s.critical, start, end, critical);
    s.lineDirty = true;
    s.marksDirty = true;
  }

  window.ChartDetail = { received, want, apply };
})();
