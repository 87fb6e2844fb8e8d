"""SIGINT and SIGTERM during a run: noted, not obeyed at once, so the finished epochs are saved.

A run polls :attr:`Signals.received` between epochs; the handler only records the signal, so
it can never land in the middle of a save. Handlers are installed only in the main thread
(Python allows no other) and the previous ones are always restored.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

CAUGHT = (signal.SIGINT, signal.SIGTERM)


class Signals:
    """A context in which SIGINT and SIGTERM set ``received`` (the first one wins)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum

    def __enter__(self) -> Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in CAUGHT:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._previous.clear()


def signal_name(signum: int) -> str:
    """``SIGINT`` for 2, and so on."""
    return signal.Signals(signum).name
