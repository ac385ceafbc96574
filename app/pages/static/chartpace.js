// When the live chart redraws (used by livechart.js, which passes its draw(chart, state)).
// The state fields used: timer, frame, later (pending redraws), nextAt, drawBudget.
(() => {
  "use strict";

  // Redraw after appends at most every MIN_GAP_MS, and with redraws taking no more than
  // DRAW_BUDGET of the tab's time (a long line is redrawn less often); an append after a
  // quiet period is drawn at once. The gap never grows past MAX_GAP_MS, so even a starved
  // tab shows new points every second.
  const MIN_GAP_MS = 50;
  const MAX_GAP_MS = 1000;
  const DRAW_BUDGET = 0.04; // the default; the server sends --chart-draw-budget (tune)

  // A layout with no points yet: its data usually follows at once, and the empty axes are on
  // screen already (the server's option), so its draw waits a little for them.
  const EMPTY_LAYOUT_WAIT_MS = 250;

  /** Draw now; whatever was pending is covered by this draw. */
  function now(chart, state, draw) {
    if (state.later !== null) {
      clearTimeout(state.later);
      state.later = null;
    }
    if (state.timer !== null) {
      clearTimeout(state.timer);
      state.timer = null;
    }
    if (state.frame !== null) {
      cancelAnimationFrame(state.frame);
      state.frame = null;
    }
    const started = performance.now();
    draw(chart, state);
    const took = performance.now() - started;
    const gap = took / (state.drawBudget || DRAW_BUDGET);
    state.nextAt = performance.now() + Math.min(MAX_GAP_MS, Math.max(MIN_GAP_MS, gap));
  }

  /** After appends: at once if the last draw was long enough ago, else when it is. */
  function afterAppend(chart, state, draw) {
    if (state.timer !== null) return; // a redraw is due soon and will include these rows
    const wait = state.nextAt - performance.now();
    if (wait <= 0) {
      now(chart, state, draw);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = null;
      now(state.chart || chart, state, draw); // the chart may have been mounted anew since
    }, wait);
  }

  // A full draw (layout, a whole series, a zoom, annotations, a new look) waits for the next
  // frame, so the calls that arrive together become one draw: a tab's first data, its
  // annotations and its preferences came as three or four draws of 100 ms or more each,
  // and the grid's first paint waited behind them (about 0.5 s -> 0.25 s after the socket).
  // A hidden tab draws when it is shown again.
  function nextFrame(chart, state, draw) {
    if (state.frame !== null) return;
    state.frame = requestAnimationFrame(() => {
      state.frame = null;
      now(state.chart || chart, state, draw);
    });
  }

  /** A full draw of a chart without points: after EMPTY_LAYOUT_WAIT_MS, unless points come. */
  function later(chart, state, draw) {
    if (state.frame !== null || state.later !== null) return;
    state.later = setTimeout(() => {
      state.later = null;
      nextFrame(state.chart || chart, state, draw);
    }, EMPTY_LAYOUT_WAIT_MS);
  }

  const hasPoints = (state) => [...state.series.values()].some((s) => s.line.length > 0);

  /** A full draw asked for: at the next frame, or later while the chart has no points. */
  function full(chart, state, draw) {
    (hasPoints(state) ? nextFrame : later)(chart, state, draw);
  }

  window.ChartPace = { now, afterAppend, nextFrame, full, hasPoints };
})();
