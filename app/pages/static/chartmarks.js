// The live chart's annotations: bands and markers of every layer (used by livechart.js).
(() => {
  "use strict";

  // Annotations: bands (markArea) and markers (markLine) of every layer, on one extra series
  // with no points. Labels are canvas text. Hidden keys are remembered in localStorage.
  const TONES = { info: "#3b82f6", ok: "#10b981", warning: "#f59e0b", critical: "#ef4444", muted: "#94a3b8" };
  const HIDDEN_KEY = "dash.hiddenAnnotations";
  const hidden = new Set((() => {
    try {
      const stored = JSON.parse(localStorage.getItem(HIDDEN_KEY) || "[]");
      return Array.isArray(stored) ? stored.filter((k) => typeof k === "string") : [];
    } catch (_) {
      return [];
    }
  })());
  let allHidden = localStorage.getItem(`${HIDDEN_KEY}.all`) === "1";

  function saveHidden() {
    try {
      localStorage.setItem(HIDDEN_KEY, JSON.stringify([...hidden].slice(-500)));
      localStorage.setItem(`${HIDDEN_KEY}.all`, allHidden ? "1" : "0");
    } catch (_) {
      /* private mode: not remembered */
    }
  }

  // A band narrower than 3 px (a 3 s reconnect on a 7-day chart) is widened to 3 px of the
  // window drawn [from, to] (px wide), so every interruption stays visible at any zoom.
  function annotationSeries(layers, order, from, to, px) {
    const minMs = from !== null && to !== null && to > from ? ((to - from) / px) * 3 : 1;
    const bands = [];
    const lines = [];
    if (!allHidden) {
      const shown = new Set(order);
      layers.forEach((items) => {
        for (const [key, kind, start, end, label, tone, streams] of items) {
          if (hidden.has(key)) continue;
          if (streams.length && !streams.some((s) => shown.has(s))) continue;
          const color = TONES[tone] || TONES.info;
          if (kind === 0) {
            bands.push([
              { name: label, xAxis: start, itemStyle: { color, opacity: 0.18 }, label: { color } },
              { xAxis: Math.max(end, start + minMs) },
            ]);
            // An edge line too: a band a few pixels wide is easy to miss on a long range.
            lines.push({ name: label, xAxis: start, lineStyle: { color, type: "dashed", width: 1 }, label: { color } });
          } else {
            lines.push({ name: label, xAxis: start, lineStyle: { color, type: "solid", width: 1.5 }, label: { color } });
          }
        }
      });
    }
    const hoverLabel = { show: false, formatter: "{b}", fontSize: 11, overflow: "truncate", width: 260 };
    return {
      id: "annotations",
      name: "annotations",
      type: "line",
      data: [],
      z: 1,
      silent: false,
      tooltip: { show: false },
      markArea: { data: bands, label: { ...hoverLabel, position: "insideTop" }, emphasis: { label: { show: true } } },
      markLine: { data: lines, symbol: "none", label: { ...hoverLabel, position: "insideEndTop" }, emphasis: { label: { show: true } } },
    };
  }

  window.ChartMarks = {
    TONES,
    series: annotationSeries,
    /** Hide or show one annotation (by key), or all of them (key null); remembered. */
    setHidden(key, hide) {
      if (key === null) allHidden = !!hide;
      else if (hide) hidden.add(key);
      else hidden.delete(key);
      saveHidden();
    },
    isHidden(key) {
      return key === null ? allHidden : hidden.has(key);
    },
  };
})();
