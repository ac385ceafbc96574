"""``python -m benchmarks.chart_server --port P --mode delta|naive``: one chart, two transports.

A 10,080-point series (7 days, one point a minute) receives 20 points/s. ``delta`` is the
app's path: ``app.pages.chart.LiveChart`` on a StreamStore, pushing only new rows through
``static/livechart.js``. ``naive`` (NAIVE BASELINE, not the app) keeps the points in the
``ui.echart`` options, appends to them and calls ``update()``, which re-sends the whole
option. Both push at the dashboard's ``push_interval`` and use the same chart options.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from nicegui import app, ui

from app.config import Settings
from app.pages.assets import register_assets
from app.pages.chart import LiveChart, chart_options
from app.protocol import HistorySample
from app.stores.streams import DAY_MS, StreamStore
from app.stores.types import Source

NAME = "bench.chart"
POINTS = 10_080
PER_SECOND = 20


def _value(i: int) -> float:
    return 50.0 + (i * 7919 % 400) / 20.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--mode", choices=["delta", "naive"], required=True)
    args = parser.parse_args()
    push = Settings().push_interval
    store = StreamStore(retention_ms=30 * DAY_MS, max_points_per_stream=1_000_000)
    now_ms = int(time.time() * 1000)
    store.add_history(
        {
            NAME: [
                HistorySample(now_ms - (POINTS - i) * 60_000, _value(i), _value(i), "normal")
                for i in range(POINTS)
            ]
        }
    )
    counter = [POINTS]

    def add_point() -> None:
        i = counter[0]
        counter[0] += 1
        sample = HistorySample(int(time.time() * 1000), _value(i), _value(i), "normal")
        store.add_history({NAME: [sample]}, Source.LIVE)

    head_html = register_assets()

    @ui.page("/")
    def page() -> None:
        ui.add_head_html(head_html)
        if args.mode == "delta":
            chart = LiveChart(store, [NAME])
            chart.element.style("height: 600px")
            ui.timer(push, chart.push)
            return
        options: dict[str, Any] = chart_options()
        line: list[list[Any]] = [[p.ts_ms, p.normalized] for p in store.series(NAME)]
        options["series"] = [{"id": f"line:{NAME}", "name": NAME, "type": "line", "data": line}]
        element = ui.echart(options).style("height: 600px")
        seen = [store.version]

        def naive_push() -> None:  # NAIVE BASELINE: mutate the options, re-send them all
            delta = store.changes_since(NAME, seen[0])
            seen[0] = delta.version
            if delta.points:
                line.extend([p.ts_ms, p.normalized] for p in delta.points)
                element.update()

        ui.timer(push, naive_push)

    app.timer(1 / PER_SECOND, add_point)
    ui.run(
        host="127.0.0.1",
        port=args.port,
        reload=False,
        show=False,
        show_welcome_message=False,
        title="chart benchmark",
    )


if __name__ in {"__main__", "__mp_main__"}:
    main()
