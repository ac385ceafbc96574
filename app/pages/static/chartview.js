// The live chart's zoom window (used by livechart.js): where the user zoomed or panned, or
// the preset shown, and whether it follows the newest point as appends come in.
(() => {
  "use strict";

  function span(state) {
    let first = null;
    let last = null;
    state.series.forEach((s) => {
      if (!s.line.length) return;
      const a = s.line[0][0];
      const b = s.line[s.line.length - 1][0];
      if (first === null || a < first) first = a;
      if (last === null || b > last) last = b;
    });
    return [first, last];
  }

  /** Remember where the user zoomed or panned (a dataZoom event), so appends keep that window
   * (or follow it); false when there is nothing to follow. */
  function moved(state, event) {
    const b = event.batch ? event.batch[0] : event;
    const [first, last] = span(state);
    if (first === null) return false;
    let start = b.startValue;
    let end = b.endValue;
    if (start == null || end == null) {
      if (b.start == null || b.end == null) return false;
      start = first + ((last - first) * b.start) / 100;
      end = first + ((last - first) * b.end) / 100;
    }
    const view = state.view;
    view.start = start;
    view.end = end;
    view.width = end - start;
    view.follow = end >= last - (last - first) * 0.001;
    return true;
  }

  // The zoom window: the user's (following new points while it ends at the newest), or all.
  function windowOption(state) {
    const view = state.view;
    const [, last] = span(state);
    if (view.width != null && last !== null) {
      if (view.follow) {
        view.end = last;
        view.start = view.end - view.width;
      }
      const win = { startValue: view.start, endValue: view.end };
      return [win, { ...win }];
    }
    return [{ start: 0, end: 100 }, { start: 0, end: 100 }];
  }

  /** Show [start, end] (null: everything); it follows new points if it ends at the newest. */
  function setWindow(state, start, end) {
    const view = state.view;
    view.width = start == null || end == null ? null : end - start;
    view.start = start;
    view.end = end;
    const [, last] = span(state);
    view.follow = last === null || end == null || end >= last;
  }

  window.ChartView = { span, moved, windowOption, setWindow };
})();
