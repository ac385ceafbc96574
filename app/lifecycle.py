"""``async with`` for anything with ``start()`` and ``stop()``: written once, inherited."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Lifecycle:
    """Mixin: ``async with obj:`` starts it and always stops it again."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
