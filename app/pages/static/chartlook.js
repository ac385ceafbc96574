// The live chart's look: theme colours, the usual-level line and the tooltip (used by
// livechart.js). Texts from outside are escaped before they reach the tooltip's HTML.
(() => {
  "use strict";

  const SOURCES = ["history", "live", "catch-up", "backfill", "gap", "roll-up (kept of its bucket)"];

  function css(name) {
    return getComputedStyle(document.body).getPropertyValue(name).trim();
  }

  function look() {
    const text = css("--dash-text") || "#cbd5e1";
    const muted = css("--dash-muted") || "#64748b";
    const grid = css("--dash-grid") || "rgba(148,163,184,0.15)";
    return {
      useUTC: DashPrefs.tz === "utc",
      textStyle: { color: text },
      xAxis: { axisLine: { lineStyle: { color: muted } }, axisLabel: { color: text } },
      yAxis: { axisLabel: { color: text }, nameTextStyle: { color: muted }, splitLine: { lineStyle: { color: grid } } },
      tooltip: { backgroundColor: css("--dash-panel"), borderColor: css("--dash-border"), textStyle: { color: text } },
    };
  }

  const BASELINE = {
    silent: true,
    symbol: "none",
    lineStyle: { color: "#94a3b8", type: "dashed", width: 1 },
    label: { color: "#94a3b8", position: "insideStartTop", formatter: "usual level 50" },
    data: [{ yAxis: 50 }],
  };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  /** Axis tooltip: time in the chosen zone, then each stream's value, raw value and source. */
  function tooltip(params) {
    const items = (Array.isArray(params) ? params : [params]).filter((p) => String(p.seriesId).startsWith("line:"));
    if (!items.length || !Array.isArray(items[0].data)) return "";
    const when = `${DashPrefs.format(items[0].data[0])} ${DashPrefs.zoneName()}`;
    const lines = [escapeHtml(when)];
    for (const p of items) {
      const [, value, source, raw] = p.data;
      const shown = value === null ? "no data (gap)" : `<b>${escapeHtml(value.toFixed(1))}</b>`;
      const rawText = raw === null || raw === undefined ? "" : ` · raw ${escapeHtml(raw)}`;
      lines.push(`${p.marker || ""}${escapeHtml(p.seriesName)}: ${shown}${rawText} · ${escapeHtml(SOURCES[source] || "?")}`);
    }
    return lines.join("<br>");
  }

  window.ChartLook = { look, BASELINE, tooltip };
})();
