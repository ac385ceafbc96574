"""NAIVE BASELINE, not the app: the pipeline of the original dashboard, for comparison only.

``json.loads`` of the frame, one ``model_validate`` per event, and a store that copies a
stream's whole list on every append and sorts it again, as the original dashboard's stores
do. Its cost per event grows with the series, so it is only ever run on small workloads,
and the app's pipeline is measured on the very same workload next to it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.protocol import HistorySample
from app.protocol.models import HistoryPoint


class NaiveEvent(BaseModel):
    """NAIVE BASELINE: the contract's event as a model (the app validates plain dicts)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    stream: str = Field(min_length=1)
    timestamp: datetime
    data: dict[str, Any] | None = None
    normalized_value: float | None = Field(
        default=None, alias="normalizedValue", allow_inf_nan=False
    )
    anomaly_flag: Literal["normal", "warning", "critical"] | None = Field(
        default=None, alias="anomalyFlag"
    )
    id: str | None = None
    seq: int | None = None


class NaiveStore:
    """NAIVE BASELINE: per stream a list, copied and re-sorted on every append."""

    def __init__(self) -> None:
        self.series: dict[str, list[Any]] = {}

    def append(self, stream: str, point: Any, key: Any) -> None:
        points = list(self.series.get(stream, ()))  # the copy on every append
        points.append(point)
        points.sort(key=key)
        self.series[stream] = points

    def __len__(self) -> int:
        return sum(len(p) for p in self.series.values())


def _event_time(event: NaiveEvent) -> Any:
    return event.timestamp


def naive_ingest(frame: str | bytes, store: NaiveStore) -> int:
    """NAIVE BASELINE: one frame into ``store``; returns the events taken."""
    raw = json.loads(frame)
    kind = raw.get("type")
    items = [raw["data"]] if kind == "event" else raw.get("events", [])
    for item in items:
        event = NaiveEvent.model_validate(item)
        store.append(event.stream, event, _event_time)
    return len(items)


def _sample_time(sample: HistorySample) -> int:
    return sample.ts_ms


def naive_history(body: bytes, store: NaiveStore) -> int:
    """NAIVE BASELINE: a contract history body into ``store``, point by point."""
    raw = json.loads(body)
    taken = 0
    for name, points in raw["streams"].items():
        for item in points:
            p = HistoryPoint.model_validate(item)
            ts = int(p.timestamp.timestamp() * 1000)
            store.append(name, HistorySample(ts, p.normalized, p.value, None), _sample_time)
            taken += 1
    return taken
