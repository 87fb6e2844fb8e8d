"""Grow a chart's data ranges with the epoch log, so a chart of the log shows every epoch.

The epoch log gains rows each time `gdsheet run` appends epochs (and loses them on `reset`);
charts keep plain A1 ranges (``Lesson!$U$90:$U$94``), which Excel and LibreOffice both read,
rather than defined names, which chart series do not take portably. So when the runner rewrites
the ``epoch_log`` name it also rewrites every chart range that is one column of the log
starting at its first row: its last row becomes the log's.
"""

from __future__ import annotations

import re

from gdsheet.xlsx.ranges import Range, RangeError, split_range

_FORMULA = re.compile(r"(<(?:\w+:)?f>)([^<]*)(</(?:\w+:)?f>)")


def grow_log_ranges(chart_xml: str, log: Range) -> str:
    """``chart_xml`` with each range over one column of ``log`` (the log's columns, from its
    first row to its last after the run), from the log's first row, ending at its last."""

    def grow(m: re.Match[str]) -> str:
        try:
            sheet, found = split_range(m.group(2))
        except RangeError:
            return m.group(0)
        if sheet != log.sheet or found.min_col != found.max_col or found.min_col not in log.cols:
            return m.group(0)
        if found.min_row != log.min_row:
            return m.group(0)
        grown = Range(sheet, log.min_row, found.min_col, max(log.max_row, log.min_row), found.min_col)
        as_written = m.group(2).strip().rpartition("!")[0]  # the sheet's text kept, quotes and all
        return f"{m.group(1)}{as_written}!{grown.ref(absolute=True)}{m.group(3)}"

    return _FORMULA.sub(grow, chart_xml)
