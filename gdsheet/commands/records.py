"""A run's records, kept as numbers: what every epoch recorded, at 8 bytes a value.

A million epochs of the line (m, b and the loss) are 24 MB here, where a dict per epoch took
over 500 MB. A record is made as a dict only when it is read (``records[i]``); the epoch log
and ``--json`` read the numbers straight from the array, each written by one template a row.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import TextIO, overload

from gdsheet.xlsx.sheet_edits import NumberTexts, template_function

Record = dict[str, float | int]

_JSON_ROWS_PER_WRITE = 2048


class EpochRecords(Sequence[Record]):
    """The records of epochs ``first_epoch``, ``first_epoch + 1``…: each a row of ``width``
    numbers (the distinct recorded cells, in ``append`` order), and each key one of them by its
    ``slot`` (two keys may share a cell: a lesson's ``rmse`` and ``loss``)."""

    def __init__(self, keys: Sequence[str], slots: Sequence[int], width: int, first_epoch: int,
                 keep_json: bool = False) -> None:  # fmt: skip
        self.keys, self.slots, self.width, self.first_epoch = tuple(keys), tuple(slots), width, first_epoch
        self.values = array("d")
        self.count = 0
        self.keep_json = keep_json
        self.json_chunks: list[str] = []  # the JSON of records json_from .. json_from + json_count - 1 (text_rows)
        self.json_from = self.json_count = 0

    def append(self, row: Sequence[float]) -> None:
        """One epoch's numbers (``width`` finite numbers)."""
        self.values.extend(row)
        self.count += 1

    def appended(self, count: int) -> None:
        """``count`` epochs' numbers were appended to :attr:`values` directly (``width`` each)."""
        self.count += count

    def __len__(self) -> int:
        return self.count

    def row(self, i: int) -> array:
        """Epoch ``first_epoch + i``'s distinct numbers."""
        return self.values[i * self.width : (i + 1) * self.width]

    @overload
    def __getitem__(self, i: int) -> Record: ...

    @overload
    def __getitem__(self, i: slice) -> list[Record]: ...

    def __getitem__(self, i: int | slice) -> Record | list[Record]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("epoch record index out of range")
        row = self.row(i)
        record: Record = {"epoch": self.first_epoch + i}
        record.update((key, row[slot]) for key, slot in zip(self.keys, self.slots, strict=True))
        return record

    def __iter__(self) -> Iterator[Record]:
        return (self[i] for i in range(len(self)))

    def _json_record(self) -> Callable[..., str]:
        """One record's JSON from its epoch and each key's number (a float, or its text)."""
        parts: list[str | int] = ['{"epoch": ', 0]
        for index, key in enumerate(self.keys, start=1):
            parts += [f", {json.dumps(key)}: ", index]
        return template_function([*parts, "}"], len(self.keys) + 1)

    def text_rows(self, start: int, slots: Sequence[int]) -> Iterator[NumberTexts]:
        """Records ``start``.. as the epoch log writes them: the epoch and the numbers at
        ``slots``, as text (``repr``, the shortest that reads back as the same double).

        Each number is formatted once: with ``keep_json`` the record's JSON is made from the
        same texts and kept (a few thousand records a string), and :meth:`write_json` prints it,
        so a run's ``--json`` does not format its numbers a second time."""
        width, values, first = self.width, self.values, self.first_epoch
        pick, json_pick, json_record = picker(slots), picker(self.slots), self._json_record()
        if self.keep_json and not self.json_count:
            self.json_from = start  # the log's first rows may sit beside the sheet's, written cell by cell
        keep = self.keep_json and start == self.json_from + self.json_count  # the kept JSON stays in order
        same = list(slots) == list(range(width))  # the log's columns are the row's numbers, in order
        pending: list[str] = []
        try:
            for k in range(start, self.count):
                texts = [*map(repr, values[k * width : (k + 1) * width])]
                if keep:
                    pending.append(json_record(first + k, *json_pick(texts)))
                    if len(pending) >= _JSON_ROWS_PER_WRITE:
                        self.json_chunks.append(", ".join(pending))
                        self.json_count += len(pending)
                        pending.clear()
                yield NumberTexts((first + k, *(texts if same else pick(texts))))
        finally:  # every record made so far is whole
            if pending:
                self.json_chunks.append(", ".join(pending))
                self.json_count += len(pending)

    def write_json(self, stream: TextIO) -> None:
        """``{"epochs": [{"epoch": 1, "m": …}, …]}`` and a newline, as ``json.dump`` writes it
        (floats as ``repr``, as json does; a record holds finite numbers only), a few thousand
        records a write, so a million epochs are never one string: the records kept while the log
        was written (:meth:`text_rows`), then the rest."""
        stream.write('{"epochs": [')
        kept_end = self.json_from + self.json_count
        self._write_json_rows(stream, 0, self.json_from if self.json_count else 0)
        for index, chunk in enumerate(self.json_chunks):
            stream.write(("" if index == 0 and self.json_from == 0 else ", ") + chunk)
        self._write_json_rows(stream, kept_end if self.json_count else 0, len(self))
        stream.write("]}\n")

    def _write_json_rows(self, stream: TextIO, begin: int, end: int) -> None:
        """Records ``begin`` .. ``end - 1`` as JSON, formatted here (each preceded by ", " but the first)."""
        json_record, pick = self._json_record(), picker(self.slots)
        width, values, first = self.width, self.values, self.first_epoch
        for start in range(begin, end, _JSON_ROWS_PER_WRITE):
            stop = min(start + _JSON_ROWS_PER_WRITE, end)
            rows = [json_record(first + i, *pick(values[i * width : (i + 1) * width])) for i in range(start, stop)]
            stream.write(("" if start == 0 else ", ") + ", ".join(rows))


def picker(slots: Sequence[int]) -> Callable[[Sequence[float]], tuple[float, ...]]:
    """The numbers at ``slots`` of a row, as a tuple (operator.itemgetter, at C speed)."""
    if len(slots) == 1:
        slot = slots[0]
        return lambda row: (row[slot],)
    return itemgetter(*slots) if slots else lambda row: ()
