"""Building frozen slotted dataclasses on hot paths, one slot at a time.

Parsing a week of history or reading a long series builds 100,000 small frozen objects;
filling their slots directly (``object.__new__`` plus the slot descriptors) costs half of
calling the dataclass's ``__init__``. :func:`slot_setter` is the one place that reaches
past ``frozen`` to do it, for :class:`app.protocol.HistorySample` and
:class:`app.stores.points.Point`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def slot_setter(cls: type[T], name: str) -> Callable[[T, Any], None]:
    """The raw setter of slot ``name`` of ``cls`` (bypasses a frozen ``__setattr__``)."""
    setter: Callable[[T, Any], None] = vars(cls)[name].__set__
    return setter
