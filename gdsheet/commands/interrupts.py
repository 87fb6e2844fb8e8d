"""SIGINT and SIGTERM during a run: noted, not obeyed at once, so the finished epochs are saved.

A run polls :attr:`Signals.received` between epochs and after each save; the first signal only
records itself, so it never lands in the middle of a save, and the run ends as soon as the
epoch or the save under way is done, every finished epoch kept. A second signal is obeyed at
once: it raises :class:`~gdsheet.errors.Interrupted` wherever the run is, so a long save can
always be stopped (the atomic save then leaves the workbook as its last completed save left
it, and removes its temporary file). Handlers are installed only in the main thread (Python
allows no other) and the previous ones are always restored.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType

from gdsheet.errors import Interrupted

CAUGHT = (signal.SIGINT, signal.SIGTERM)


class Signals:
    """A context in which SIGINT and SIGTERM set ``received`` (the first one wins)."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def _note(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
            return
        raise Interrupted(
            f"interrupted by {signal_name(signum)} a second time; the workbook holds what its last completed "
            "save wrote",
            signum,
        )

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
