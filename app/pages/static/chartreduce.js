// The live chart's reduction of long lines for drawing (used by livechart.js).
(() => {
  "use strict";

  // What ECharts gets of a line. ECharts reads every point it is given on every redraw, so a
  // line with more than two points a pixel (and more than MIN_DETAIL points: a busy stream
  // after hours of live events) is reduced: in the window on screen to the lowest and the
  // highest point of each pixel column (at most two points a pixel, spikes kept), outside it
  // to those of every fourth pixel's width (for panning until the next redraw). Breaks (null
  // values) and the first and last points are always kept; points are the line's own, so
  // tooltips show real values. Zooming in redraws from the raw points the tab holds. This is
  // the only thinning in the tab: ECharts' own sampling is off (with the zoom's "empty"
  // filter it would count the points outside the window too and thin a zoomed-in line).
  const MIN_DETAIL = 1000;

  /** Whether `line` is reduced for a plot `px` pixels wide. */
  function long(line, px) {
    return line.length > Math.max(MIN_DETAIL, 2 * px);
  }

  function firstAtOrAfter(line, ts) {
    let lo = 0;
    let hi = line.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (line[mid][0] < ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  function reduceInto(out, line, i0, i1, columns) {
    if (i1 <= i0) return;
    const from = line[i0][0];
    const width = Math.max(1, (line[i1 - 1][0] - from) / columns);
    let column = -1;
    let lo = null;
    let hi = null;
    const flush = () => {
      if (lo === null) return;
      if (lo === hi) out.push(lo);
      else if (lo[0] <= hi[0]) out.push(lo, hi);
      else out.push(hi, lo);
      lo = hi = null;
    };
    for (let i = i0; i < i1; i += 1) {
      const p = line[i];
      if (p[1] === null) {
        flush();
        out.push(p);
        continue;
      }
      const c = Math.floor((p[0] - from) / width);
      if (c !== column) {
        flush();
        column = c;
      }
      if (lo === null || p[1] < lo[1]) lo = p;
      if (hi === null || p[1] > hi[1]) hi = p;
    }
    flush();
  }

  function shown(line, view, px) {
    if (!long(line, px)) return line;
    const n = line.length;
    const start = view.width != null ? firstAtOrAfter(line, view.start) : 0;
    const end = view.width != null ? firstAtOrAfter(line, view.end + 1) : n;
    const a = Math.min(Math.max(1, start), n - 1); // [1, a) before the window
    const b = Math.min(Math.max(a, end), n - 1); // [a, b) in it, [b, n - 1) after it
    const out = [line[0]];
    reduceInto(out, line, 1, a, Math.ceil(px / 4));
    reduceInto(out, line, a, b, px);
    reduceInto(out, line, b, n - 1, Math.ceil(px / 4));
    out.push(line[n - 1]);
    return out;
  }

  window.ChartReduce = { long, shown, firstAtOrAfter };
})();
