"""What `gdsheet grade` prints and writes: a terminal table, strict JSON, a gradebook CSV and
one self-contained HTML page (inline style, no script, no link: it opens from a USB stick).

Names and messages come from a roster and from students' workbooks, so every text is escaped
for HTML, and a CSV cell that a spreadsheet would read as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'`` so a gradebook import
shows it as typed instead of running it.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence

Record = dict[str, object]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def item_names(records: Sequence[Record]) -> list[str]:
    """Every item name in the order the records list them (a graded record lists them all)."""
    names: dict[str, None] = {}
    for record in records:
        for item in record["items"]:  # type: ignore[attr-defined]
            names.setdefault(str(item["name"]), None)
    return list(names)


def _points(value: object) -> str:
    return f"{float(value):g}"  # type: ignore[arg-type]


def as_json(records: Sequence[Record]) -> str:
    """``{"students": [...]}`` as strict JSON (every number a record holds is finite)."""
    return json.dumps({"students": list(records)}, allow_nan=False, indent=1)


def table(records: Sequence[Record]) -> str:
    """One line per file (id, name, status, score/max, file), then each item short of full marks."""
    rows = [("id", "name", "status", "score", "file")]
    for record in records:
        score = f"{_points(record['score'])}/{_points(record['max'])}"
        rows.append((str(record["id"] or "-"), str(record["name"] or "-")[:30], str(record["status"]), score,
                     str(record["file"])))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            continue
        record = records[index - 1]
        if record["message"]:
            lines.append(f"    {record['message']}")
        for item in record["items"]:  # type: ignore[attr-defined]
            if item["points"] != item["max"]:
                lines.append(f"    {item['name']}: {_points(item['points'])}/{_points(item['max'])}: {item['message']}")
    return "\n".join(lines)


def _safe(text: object) -> object:
    """A CSV cell that no spreadsheet turns into a formula."""
    if isinstance(text, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def as_csv(records: Sequence[Record]) -> str:
    """One row per file: id, name, file, status, score, max, one column per item, message."""
    items = item_names(records)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "name", "file", "status", "score", "max", *items, "message"])
    for record in records:
        points = {str(item["name"]): item["points"] for item in record["items"]}  # type: ignore[attr-defined]
        row = [record["id"] or "", record["name"] or "", record["file"], record["status"], record["score"],
               record["max"], *(points.get(name, "") for name in items), record["message"]]  # fmt: skip
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()


_STYLE = """
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; white-space: nowrap; }
tr.full td { color: #555; }
tr.lost td { background: #fdecea; }
.status-graded { color: #1a6b1a; }
.status-unreadable, .status-unknown-id, .status-other-students-inputs { color: #b00; }
section { border-top: 2px solid #ccc; padding-top: 0.5em; page-break-inside: avoid; }
code { font-size: 0.95em; }
"""


def _e(text: object) -> str:
    """Escaped for HTML; text a spreadsheet's HTML import would take for a formula (LibreOffice
    Calc evaluates a table cell reading ``=HYPERLINK(...)``) starts with a zero-width space."""
    shown = "" if text is None else str(text)
    return ("&#8203;" if shown.startswith(_FORMULA_START) else "") + html.escape(shown, quote=True)


def as_html(records: Sequence[Record], title: str) -> str:
    """The class on one page: a summary table, then a section per file with every item."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{len(records)} workbook(s). Each item scores its points times the share of its cells that hold "
        "formulas equal to the numpy reference with the assigned inputs and with changed inputs.</p>",
        "<table><tr><th>id</th><th>name</th><th>status</th><th>score</th><th>file</th></tr>",
    ]
    for index, record in enumerate(records):
        parts.append(
            f'<tr><td><a href="#s{index}">{_e(record["id"] or "-")}</a></td><td>{_e(record["name"] or "-")}</td>'
            f'<td class="status-{_e(record["status"])}">{_e(record["status"])}</td>'
            f'<td class="num">{_points(record["score"])} / {_points(record["max"])}</td>'
            f"<td>{_e(record['file'])}</td></tr>"
        )
    parts.append("</table>")
    for index, record in enumerate(records):
        heading = f"{record['id']}: {record['name']}" if record["id"] else str(record["file"])
        parts += [
            f'<section id="s{index}"><h2>{_e(heading)}</h2>',
            f'<p><span class="status-{_e(record["status"])}">{_e(record["status"])}</span>, '
            f"{_points(record['score'])} of {_points(record['max'])} points; "
            f"file <code>{_e(record['file'])}</code></p>",
        ]
        if record["message"]:
            parts.append(f"<p>{_e(record['message'])}</p>")
        if record["items"]:
            parts.append("<table><tr><th>item</th><th>points</th><th>first wrong cell</th><th>what</th></tr>")
            for item in record["items"]:  # type: ignore[attr-defined]
                lost = item["points"] != item["max"]
                # bgcolor as well as the class: spreadsheet HTML imports (and so their PDFs) ignore CSS
                td = '<td bgcolor="#fdecea"' if lost else "<td"
                parts.append(
                    f'<tr class="{"lost" if lost else "full"}">{td}>{_e(item["name"])}</td>'
                    f'{td} class="num">{_points(item["points"])} / {_points(item["max"])}</td>'
                    f"{td}>{_e(item['first_wrong_cell'] or '')}</td>{td}>{_e(item['message'])}</td></tr>"
                )
            parts.append("</table>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
