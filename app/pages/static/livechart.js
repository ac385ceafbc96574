// Browser side of the live chart: up to six streams on one normalized axis. The server sends
// each series once (`reset`), then only new rows (`append`); this file keeps the arrays and
// redraws with one setOption per frame's calls or per throttled batch of appends (chartpace.js).
//
// Wire row: [ts_ms, normalized | null, source code, flag code (-1 none, 1 warning, 2 critical),
// raw | null]. Line item: [ts_ms, normalized | null, source code, raw | null].
(() => {
  "use strict";

  const states = new Map(); // element id -> chart state
  const queues = new Map(); // element id -> calls waiting for the chart to mount

  function stateOf(id) {
    let state = states.get(id);
    if (!state) {
      state = {
        id,
        order: [], // series keys in legend order
        series: new Map(), // key -> {name, color, line, warning, critical}
        view: { follow: true, width: null, start: null, end: null },
        presetActive: true,
        layers: new Map(), // annotation layer -> wire items (see app/pages/annotations.py)
        off: new Set(), // legend entries switched off: series keys, "warning", "critical"
        layoutChanged: true, // series added or removed: replace them (a full draw)
        full: true, // the next draw sends the whole option, not only changed points
        chart: null,
        timer: null, // a pending throttled redraw
        frame: null, // a pending full redraw (next animation frame)
        later: null, // a pending full redraw of a chart without points (ChartPace.full)
        shown: false, // the server was told this chart drew its first points
        nextAt: 0, // performance.now() before which appends do not redraw
        drawBudget: null, // the server's --chart-draw-budget (else ChartPace's default)
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
    state.layoutChanged = true;
    // ZRender keeps requesting animation frames for 10 still frames after each draw; with
    // animation off nothing moves between draws, so let it sleep after one.
    el.chart.getZr().setSleepAfterStill(1);
    el.chart.on("datazoom", (event) => remember(state, event));
    const update = el.update_chart;
    el.update_chart = function () {
      update.apply(this, arguments);
      state.layoutChanged = true;
      if (this.chart) ChartPace.now(this.chart, state, draw); // the server's option carries no points
    };
    return state;
  }

  function remember(state, event) {
    if (!ChartView.moved(state, event)) return;
    if (state.presetActive) {
      state.presetActive = false;
      emitEvent("chart_zoom", { chart: state.id });
    }
    let long = false;
    state.series.forEach((s) => {
      if (ChartReduce.long(s.line, plotWidth(state))) s.lineDirty = long = true;
    });
    if (long && state.chart) ChartPace.afterAppend(state.chart, state, draw); // finer points for the new window
    ChartDetail.want(state); // and finer points from the server, for a thinned series
  }

  // Lines first (index 0 is the first stream, as tests and benchmarks read it), annotations
  // last, drawn beneath (z 1 against 2). No area fill: it cost a redraw about a line's worth.
  // Lines are 1 px wide (Grafana's default too): a canvas strokes a 1-px line far faster
  // than a wider one, and at 1.5 px painting a week's line took as long as the whole setOption.
  function seriesOption(state) {
    const out = [];
    const single = state.order.length === 1;
    state.order.forEach((key, i) => {
      const s = state.series.get(key);
      out.push({
        id: `line:${key}`,
        name: s.name,
        type: "line",
        data: state.off.has(key) ? [] : ChartReduce.shown(s.line, state.view, plotWidth(state)),
        encode: { x: 0, y: 1 },
        showSymbol: false,
        connectNulls: false,
        color: s.color,
        lineStyle: { width: 1 },
        markLine: i === 0 ? ChartLook.BASELINE : null,
      });
      if (single) {
        out.push(marks(`warning:${key}`, "warning", ChartLegend.MARKS.warning, 6, state.off.has("warning") ? [] : s.warning));
        out.push(marks(`critical:${key}`, "critical", ChartLegend.MARKS.critical, 8, state.off.has("critical") ? [] : s.critical));
      }
    });
    const [first, last] = ChartView.span(state);
    const view = state.view.width != null ? state.view : { start: first, end: last };
    out.push(ChartMarks.series(state.layers, state.order, view.start, view.end, plotWidth(state)));
    return out;
  }

  function plotWidth(state) {
    return Math.max(100, (state.chart ? state.chart.getWidth() : 1200) - 76); // grid left + right
  }

  function marks(id, name, color, size, data) {
    return { ...markData(id, data), name, type: "scatter", symbolSize: size, color, largeThreshold: 0, z: 3 };
  }

  // Marks are drawn in ECharts' large mode (one path for all of them): in the normal mode each
  // mark is an element of its own, updated on every redraw, and a few hundred of them took
  // about a third of a redraw. Not for no marks: large mode throws on an empty series.
  function markData(id, data) {
    return { id, data, large: data.length > 0 };
  }

  // A full draw sends the whole option (look, legend, every series, annotations); it follows
  // a change of layout, look, annotations or window. Appends send only the series whose
  // points changed and the window; the rest of the option stays as it was.
  function draw(chart, state) {
    if (!state.full && !state.layoutChanged) {
      const dataZoom = ChartView.windowOption(state); // first: a following window moves with new points
      chart.setOption({ series: dirtySeries(state), dataZoom });
    } else {
      drawAll(chart, state);
    }
    if (!state.shown && ChartPace.hasPoints(state) && typeof emitEvent === "function") {
      state.shown = true; // the server holds its heavy start-up work for a first tab's chart
      emitEvent("chart_shown", { chart: state.id });
    }
  }

  function drawAll(chart, state) {
    const option = ChartLook.look();
    option.dataZoom = ChartView.windowOption(state);
    option.series = seriesOption(state);
    ChartLegend.render(chart, state, () => {
      state.full = true;
      ChartPace.now(chart, state, draw);
    });
    const replace = state.layoutChanged;
    state.layoutChanged = false;
    state.full = false;
    state.series.forEach((s) => {
      s.lineDirty = false;
      s.marksDirty = false;
    });
    chart.setOption(option, replace ? { replaceMerge: ["series"] } : undefined);
  }

  function dirtySeries(state) {
    const out = [];
    const single = state.order.length === 1;
    state.order.forEach((key) => {
      const s = state.series.get(key);
      if (s.lineDirty && !state.off.has(key)) out.push({ id: `line:${key}`, data: ChartReduce.shown(s.line, state.view, plotWidth(state)) });
      if (single && s.marksDirty) {
        if (!state.off.has("warning")) out.push(markData(`warning:${key}`, s.warning));
        if (!state.off.has("critical")) out.push(markData(`critical:${key}`, s.critical));
      }
      s.lineDirty = false;
      s.marksDirty = false;
    });
    return out;
  }

  function push(s, rows) {
    const line = s.line;
    let last = line.length ? line[line.length - 1][0] : null;
    let added = 0;
    for (const r of rows) {
      if (last !== null && r[0] < last) continue; // never reorder the line
      line.push([r[0], r[1], r[2], r[4] === undefined ? null : r[4]]);
      if (r[1] !== null && r[3] === 1) s.warning.push([r[0], r[1]]);
      if (r[1] !== null && r[3] === 2) s.critical.push([r[0], r[1]]);
      if (r[1] !== null && r[3] > 0) s.marksDirty = true;
      last = r[0];
      added += 1;
    }
    if (added) s.lineDirty = true;
    return added;
  }

  // Drop points older than `before` (the store evicted them: retention or per-stream cap).
  function trim(s, before) {
    for (const arr of [s.line, s.warning, s.critical]) {
      let n = 0;
      while (n < arr.length && arr[n][0] < before) n += 1;
      if (n) arr.splice(0, n);
    }
    s.lineDirty = true;
    s.marksDirty = true;
  }

  function firstLine(id) {
    const state = states.get(id);
    const s = state && state.order.length ? state.series.get(state.order[0]) : null;
    return s ? s.line : [];
  }

  // Theme or time zone changed: redraw every chart with the new look.
  const relook = () =>
    states.forEach((state) => {
      state.full = true;
      if (state.chart) ChartPace.full(state.chart, state, draw);
    });
  window.addEventListener("dash-prefs", relook);
  const watchTheme = () => new MutationObserver(relook).observe(document.body, { attributes: true, attributeFilter: ["class"] });
  if (document.body) watchTheme();
  else document.addEventListener("DOMContentLoaded", watchTheme);

  window.LiveChart = {
    /** The streams shown, in order: [{key, name, color}]; others are dropped. */
    layout(id, list) {
      withChart(id, (el, state) => {
        const next = new Map();
        for (const item of list) {
          const old = state.series.get(item.key);
          next.set(item.key, { name: item.name, color: item.color, line: old ? old.line : [], warning: old ? old.warning : [], critical: old ? old.critical : [] });
        }
        state.series = next;
        state.order = list.map((item) => item.key);
        for (const key of [...state.off]) if (!next.has(key) && !(key in ChartLegend.MARKS)) state.off.delete(key);
        state.layoutChanged = true;
        ChartPace.full(el.chart, state, draw);
      });
    },

    /** Replace one series and show [start, end] (null: keep the view); `thinned`: see ChartDetail. */
    reset(id, key, rows, start, end, thinned) {
      withChart(id, (el, state) => {
        const s = state.series.get(key);
        if (!s) return;
        s.line = [];
        s.warning = [];
        s.critical = [];
        push(s, rows);
        s.lineDirty = true;
        s.marksDirty = true;
        ChartDetail.received(s, thinned);
        if (start != null) ChartView.setWindow(state, start, end);
        ChartPace.nextFrame(el.chart, state, draw);
        if (s.thinned) ChartDetail.want(state);
      });
    },

    /** The rows of [start, end] of a thinned series, finer, as the tab asked for them. */
    detail(id, key, start, end, rows) {
      withChart(id, (el, state) => {
        const s = state.series.get(key);
        if (!s) return;
        ChartDetail.apply(s, start, end, rows);
        ChartPace.afterAppend(el.chart, state, draw);
      });
    },

    /** Append rows of one series at the right edge, after dropping points before `trimBefore`. */
    append(id, key, rows, trimBefore) {
      withChart(id, (el, state) => {
        const s = state.series.get(key);
        if (!s) return;
        if (trimBefore != null) trim(s, trimBefore);
        if (push(s, rows) || trimBefore != null) ChartPace.afterAppend(el.chart, state, draw);
      });
    },

    /** Settings of one chart: {drawBudget} (the share of the tab's time redraws may take). */
    tune(id, settings) {
      const state = stateOf(id);
      const budget = Number(settings && settings.drawBudget);
      if (budget > 0 && budget <= 1) state.drawBudget = budget;
    },

    /** Show [start, end] (a preset); the window follows new points while it ends at the newest. */
    zoom(id, start, end) {
      withChart(id, (el, state) => {
        ChartView.setWindow(state, start, end);
        state.presetActive = true;
        state.full = true; // the bands' least width follows the window
        ChartPace.nextFrame(el.chart, state, draw);
        ChartDetail.want(state);
      });
    },

    /** Show everything again. */
    resetZoom(id) {
      withChart(id, (el, state) => {
        ChartView.setWindow(state, null, null);
        state.presetActive = false;
        state.full = true;
        ChartPace.nextFrame(el.chart, state, draw);
      });
    },

    /** Replace one annotation layer: [[key, kind (0 band, 1 marker), start, end, label, tone, streams]]. */
    annotate(id, layer, items) {
      withChart(id, (el, state) => {
        state.layers.set(layer, items);
        state.layoutChanged = true;
        ChartPace.full(el.chart, state, draw);
      });
    },

    /** Show or hide one annotation (by key), or all of them (key null); remembered. */
    setHidden(key, hide) {
      ChartMarks.setHidden(key, hide);
      relook();
    },

    /** Points the first line holds in the tab (before any reduction for drawing). */
    points: (id) => firstLine(id).length,

    /** Their timestamps, in order (tests and tools read what arrived where). */
    held: (id) => firstLine(id).map((p) => p[0]),

    /** Whether an annotation (by key), or all of them (key null), is hidden. */
    isHidden: (key) => ChartMarks.isHidden(key),

    /** Download what the chart shows (streams, window, time zone) as CSV or JSON. */
    download(id, format) {
      const state = stateOf(id);
      const params = new URLSearchParams({ streams: state.order.join(","), format, tz: DashPrefs.zoneName() });
      if (state.view.width != null && state.view.start != null) {
        params.set("start", String(Math.floor(state.view.start)));
        params.set("end", String(Math.ceil(state.view.end)));
      }
      window.location.href = `/api/dashboard/export?${params}`;
    },

    /** Axis tooltip (the server's chart option names this one). */
    tooltip: (params) => ChartLook.tooltip(params),
  };
})();
