"""Grow a chart's data ranges with the epoch log, so a chart of the log shows every epoch.

The epoch log gains rows each time `gdsheet run` appends epochs (and loses them on `reset`);
charts keep plain A1 ranges (``Lesson!$U$90:$U$94``), which Excel and LibreOffice both read,
rather than defined names, which chart series do not take portably. So when the runner rewrites
the ``epoch_log`` name it also rewrites every chart range that is one column of the log
starting at its first row: its last row becomes the log's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl.utils.cell import column_index_from_string

_FORMULA = re.compile(r"(<(?:\w+:)?f>)([^<]*)(</(?:\w+:)?f>)")
_RANGE = re.compile(
    r"^(?P<sheet>'(?:[^']|'')+'|[^!']+)!\$(?P<c1>[A-Z]+)\$(?P<r1>\d+)(?::\$(?P<c2>[A-Z]+)\$(?P<r2>\d+))?$"
)


@dataclass(frozen=True)
class LogColumns:
    """The log's sheet, its columns and its rows after the run (first to last)."""

    sheet: str
    min_col: int
    max_col: int
    first_row: int
    last_row: int


def _sheet_name(text: str) -> str:
    return text[1:-1].replace("''", "'") if text.startswith("'") else text


def grow_log_ranges(chart_xml: str, log: LogColumns) -> str:
    """``chart_xml`` with each range over one log column, from the log's first row, ending at its last."""

    def grow(m: re.Match[str]) -> str:
        found = _RANGE.match(m.group(2).strip())
        if found is None or _sheet_name(found["sheet"]) != log.sheet:
            return m.group(0)
        c1, r1 = column_index_from_string(found["c1"]), int(found["r1"])
        c2 = column_index_from_string(found["c2"]) if found["c2"] else c1
        if c1 != c2 or not log.min_col <= c1 <= log.max_col or r1 != log.first_row:
            return m.group(0)
        tail = f":${found['c1']}${log.last_row}" if log.last_row > r1 else ""
        span = f"{found['sheet']}!${found['c1']}${r1}{tail}"
        return f"{m.group(1)}{span}{m.group(3)}"

    return _FORMULA.sub(grow, chart_xml)
