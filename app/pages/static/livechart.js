// Browser side of the live chart: the server sends the series once (`reset`), then only
// new rows (`append`); this file keeps the arrays and redraws with one setOption per call.
//
// Wire row: [ts_ms, normalized | null, source code, flag code (-1 none, 1 warning, 2 critical)].
// Line item: [ts_ms, normalized | null, source code]; marker item: [ts_ms, normalized].
(() => {
  "use strict";

  const SOURCES = ["history", "live", "catchup", "backfill", "gap"];
  const states = new Map(); // element id -> {line, warning, critical, view}
  const queues = new Map(); // element id -> calls waiting for the chart to mount

  function stateOf(id) {
    let state = states.get(id);
    if (!state) {
      state = {
        line: [],
        warning: [],
        critical: [],
        view: { follow: true, width: null, start: null, end: null },
        chart: null,
        timer: null, // a pending throttled redraw
        nextAt: 0, // performance.now() before which appends do not redraw
      };
      states.set(id, state);
    }
    return state;
  }

  // Run fn(el, state) once the ECharts instance exists, keeping the order of calls per element.
  function withChart(id, fn) {
    const queue = queues.get(id);
    if (queue) {
      queue.push(fn);
      return;
    }
    const el = getElement(id);
    if (el && el.chart) {
      fn(el, attach(el, id));
      return;
    }
    queues.set(id, [fn]);
    const started = Date.now();
    const poll = () => {
      const ready = getElement(id);
      if (ready && ready.chart) {
        const calls = queues.get(id) || [];
        queues.delete(id);
        const state = attach(ready, id);
        calls.forEach((call) => call(ready, state));
      } else if (Date.now() - started < 60000) {
        setTimeout(poll, 20);
      } else {
        queues.delete(id);
      }
    };
    setTimeout(poll, 20);
  }

  // First contact with a chart instance: follow user zooming, and survive a re-sent option.
  function attach(el, id) {
    const state = stateOf(id);
    if (state.chart === el.chart) return state;
    state.chart = el.chart;
    el.chart.on("datazoom", (event) => remember(state, event));
    const update = el.update_chart;
    el.update_chart = function () {
      update.apply(this, arguments);
      if (this.chart) draw(this.chart, state); // the server's option carries no points
    };
    return state;
  }

  // Remember where the user zoomed or panned, so appends keep that window (or follow it).
  function remember(state, event) {
    const b = event.batch ? event.batch[0] : event;
    const line = state.line;
    if (!line.length) return;
    const first = line[0][0];
    const last = line[line.length - 1][0];
    let start = b.startValue;
    let end = b.endValue;
    if (start == null || end == null) {
      if (b.start == null || b.end == null) return;
      start = first + ((last - first) * b.start) / 100;
      end = first + ((last - first) * b.end) / 100;
    }
    const view = state.view;
    view.start = start;
    view.end = end;
    view.width = end - start;
    view.follow = end >= last - (last - first) * 0.001;
  }

  // Redraw after appends, at most every MIN_GAP_MS and never more than about a quarter of
  // the time: ECharts re-reads every point on setOption (about 200 ms for 100,000 points on
  // a slow machine), so a long series is redrawn less often instead of freezing the tab.
  // An append after a quiet period (the gap has passed) is drawn at once, in the same task.
  const MIN_GAP_MS = 50;
  const BUSY_FACTOR = 3;

  function scheduleRender(chart, state) {
    if (state.timer !== null) return; // a redraw is due soon and will include these rows
    const wait = state.nextAt - performance.now();
    if (wait <= 0) {
      render(chart, state);
      return;
    }
    state.timer = setTimeout(() => {
      state.timer = null;
      render(chart, state);
    }, wait);
  }

  function render(chart, state) {
    if (state.timer !== null) {
      clearTimeout(state.timer); // this redraw covers the pending one
      state.timer = null;
    }
    const started = performance.now();
    draw(chart, state);
    const took = performance.now() - started;
    state.nextAt = performance.now() + Math.max(MIN_GAP_MS, BUSY_FACTOR * took);
  }

  function draw(chart, state) {
    const option = {
      series: [{ data: state.line }, { data: state.warning }, { data: state.critical }],
    };
    const view = state.view;
    const line = state.line;
    if (view.width != null && line.length) {
      if (view.follow) {
        view.end = line[line.length - 1][0];
        view.start = view.end - view.width;
      }
      const win = { startValue: view.start, endValue: view.end };
      option.dataZoom = [win, { ...win }];
    }
    chart.setOption(option);
  }

  function push(state, rows) {
    const line = state.line;
    let last = line.length ? line[line.length - 1][0] : null;
    let added = 0;
    for (const r of rows) {
      if (last !== null && r[0] < last) continue; // never reorder the line
      line.push([r[0], r[1], r[2]]);
      if (r[1] !== null && r[3] === 1) state.warning.push([r[0], r[1]]);
      if (r[1] !== null && r[3] === 2) state.critical.push([r[0], r[1]]);
      last = r[0];
      added += 1;
    }
    return added;
  }

  // Drop points older than `before` (the store evicted them: retention or per-stream cap).
  function trim(state, before) {
    for (const arr of [state.line, state.warning, state.critical]) {
      let n = 0;
      while (n < arr.length && arr[n][0] < before) n += 1;
      if (n) arr.splice(0, n);
    }
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  window.LiveChart = {
    /** Replace the whole series of element `id` and show [start, end] (null: everything). */
    reset(id, rows, start, end) {
      withChart(id, (el, state) => {
        state.line = [];
        state.warning = [];
        state.critical = [];
        push(state, rows);
        const view = state.view;
        view.width = start == null || end == null ? null : end - start;
        view.start = start;
        view.end = end;
        view.follow = true;
        render(el.chart, state);
      });
    },

    /** Append rows at the right edge, after dropping points older than `trimBefore`. */
    append(id, rows, trimBefore) {
      withChart(id, (el, state) => {
        if (trimBefore != null) trim(state, trimBefore);
        if (push(state, rows) || trimBefore != null) scheduleRender(el.chart, state);
      });
    },

    /** Show [start, end]; the window follows new points while it ends at the newest. */
    zoom(id, start, end) {
      withChart(id, (el, state) => {
        const line = state.line;
        const view = state.view;
        view.width = end - start;
        view.start = start;
        view.end = end;
        view.follow = !line.length || end >= line[line.length - 1][0];
        render(el.chart, state);
      });
    },

    /** Axis tooltip: time, value, flag and source, every part escaped. */
    tooltip(params) {
      const items = Array.isArray(params) ? params : [params];
      const main = items.find((p) => p.seriesIndex === 0) || items[0];
      if (!main || !Array.isArray(main.data)) return "";
      const [ts, value, source] = main.data;
      const flag = items.some((p) => p.seriesIndex === 2)
        ? "critical"
        : items.some((p) => p.seriesIndex === 1)
          ? "warning"
          : null;
      const when = new Date(ts).toISOString().replace("T", " ").replace(".000Z", "Z");
      const lines = [
        escapeHtml(when),
        value === null ? "no data (gap)" : `normalized <b>${escapeHtml(value.toFixed(1))}</b>`,
        `source: ${escapeHtml(SOURCES[source] || "?")}`,
      ];
      if (flag) lines.push(`flag: ${escapeHtml(flag)}`);
      return lines.join("<br>");
    },
  };
})();
