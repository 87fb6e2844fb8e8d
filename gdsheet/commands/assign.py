"""`gdsheet assign`: one lesson workbook per student, each with samples of its own.

Every student's samples come from the assignment's seed and their id (SHA-256 of both, so the
same roster and seed give the same files on any machine), and no (x, y) sample appears in two
students' workbooks. ``blank`` columns of the descent table (and of the Live sheet) are left
empty, header and hint kept, for the student to write; everything downstream (Live sheet,
charts, a run's log) then reads the student's formulas.

``assignment.toml`` records what `gdsheet grade` needs: the options, the seed, the blank
columns, the points per graded item (teacher-editable) and the roster. It holds no reference
value; it stays with the teacher (the seed lets anyone who has it regenerate every student's
samples, which the workbooks show anyway).
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

from openpyxl.styles import Alignment, Font
from openpyxl.workbook.defined_name import DefinedName

from gdsheet.commands.build import DEFAULT_PRESET, make_lesson, overflow, save_with_values
from gdsheet.commands.check import expected_for
from gdsheet.errors import GdsheetError
from gdsheet.lesson.optimizers import HYPER_PARAMETERS
from gdsheet.lesson.roster import Student, check_student, read_roster, unique
from gdsheet.lesson.samples_generated import student_rng, student_samples
from gdsheet.lesson.spec import Lesson
from gdsheet.limits import MAX_ROSTER_BYTES
from gdsheet.writer.cells import SHEET, put
from gdsheet.writer.layout import layout_for
from gdsheet.writer.streaming import save_streaming
from gdsheet.writer.writer import lesson_workbook
from gdsheet.xlsx.atomic import atomic_output
from gdsheet.xlsx.ranges import Range, a1, split_range

ASSIGNMENT_FILE = "assignment.toml"
FORMAT_VERSION = 1
DEFAULT_NOISE = 2.0
"""The standard deviation of the noise on each student's y when ``--noise`` is not given."""
COLUMN_POINTS = 10.0
"""Default points of each blank column (the student's own formulas)."""
AREA_POINTS = 1.0
"""Default points of each derived area the lesson wrote (tampering with one costs its point)."""
INPUTS_ITEM = "inputs"
NOT_BLANKABLE = ("x", "y")
"""The samples: inputs, never formulas."""
OPTIONS = ("m_start", "b_start", "learn", "epochs", "gradient", "loss", "optimizer", "live_epochs", *HYPER_PARAMETERS)
"""The build options an assignment records (``--samples`` and ``--noise`` are kept apart)."""


TABLE_AREAS = ("descent", "descent_state", "descent_estimates", "live_descent", "live_state", "live_estimates")
"""The names whose cells are descent-table columns: the Lesson sheet's, then the Live sheet's."""


def table_areas(lesson: Lesson) -> dict[str, tuple[str, ...]]:
    """The defined names whose columns are descent-table columns, and those columns by name."""
    columns = (lesson.columns, lesson.state, lesson.estimates) * 2
    return dict(zip(TABLE_AREAS, columns, strict=True))


def column_cells(areas: Mapping[str, Range], lesson: Lesson, column: str) -> list[tuple[str, int, int]]:
    """Every cell (sheet, column, row) of one descent-table column, on the Lesson and Live sheets,
    found through the defined names (`assign` empties them, `grade` grades them)."""
    cells = []
    for name, columns in table_areas(lesson).items():
        if name in areas and column in columns:
            area = areas[name]
            index = area.min_col + columns.index(column)
            cells += [(area.sheet, index, row) for row in range(area.min_row, area.max_row + 1)]
    return cells


@dataclass(frozen=True)
class Assignment:
    """What `assign` made and `grade` needs: options, seed, blank columns, points, roster."""

    seed: int
    preset: str
    options: Mapping[str, object]
    samples: int | None
    noise: float
    blank: tuple[str, ...]
    students: tuple[Student, ...]
    points: Mapping[str, float] = field(default_factory=dict)
    path: Path | None = None

    @cached_property
    def base(self) -> Lesson:
        """The lesson before any student's samples (the options and the preset)."""
        return make_lesson(self.preset, samples=self.samples, **self.options)  # type: ignore[arg-type]

    @cached_property
    def _samples(self) -> dict[str, tuple[tuple[float, ...], tuple[float, ...]]]:
        """Each student's (x, y), in roster order; a student whose draw shares a sample with an
        earlier student's draws again (the next ``draw``), so no two share one."""
        base, taken, result = self.base, set(), {}
        for student in self.students:
            for draw in range(1000):
                rng = student_rng(self.seed, student.id, draw)
                x, y = student_samples(base.data_x, base.m_actual, base.b_actual, len(base.descent_x), self.noise, rng)
                pairs = set(zip(x, y, strict=True))
                if len(pairs) == len(x) and not pairs & taken:
                    break
            else:  # pragma: no cover - 1000 collisions in a row would need a tiny range and many students
                raise GdsheetError(f"cannot give {student.id!r} samples no other student has")
            taken |= pairs
            result[student.id] = (x, y)
        return result

    def student(self, student_id: str) -> Student | None:
        return next((s for s in self.students if s.id == student_id), None)

    def lesson_of(self, student_id: str) -> Lesson:
        """The lesson assigned to ``student_id``: the base lesson with their samples."""
        x, y = self._samples[student_id]
        return self.base.with_overrides(descent_x=x, descent_y=y, samples_note="your own")

    def owner_of(self, x: Sequence[float], y: Sequence[float]) -> Student | None:
        """The student whose samples these are (most shared (x, y) pairs), or None if nobody's."""
        pairs = set(zip(x, y, strict=True))
        best, count = None, 0
        for student in self.students:
            shared = len(pairs & set(zip(*self._samples[student.id], strict=True)))
            if shared > count:
                best, count = student, shared
        return best

    def items(self, areas: Mapping[str, Range]) -> list[str]:
        """The graded items: the inputs, each blank column, then each derived area that has cells
        outside the blank columns (``next_m`` is new_m's last cell), in that order."""
        blank = {cell for name in self.blank for cell in column_cells(areas, self.base, name)}
        derived = [
            name
            for name in expected_for(self.base, set(areas))
            if any((areas[name].sheet, c, r) not in blank for r, c in areas[name].cells())
        ]
        return [INPUTS_ITEM, *self.blank, *derived]


def _blank_list(text: str | Sequence[str] | None, lesson: Lesson, columns: Sequence[str]) -> tuple[str, ...]:
    """The ``--blank`` columns: names of the table's header, comma-separated, each once."""
    if text is None:
        return ()
    names = [part.strip() for part in (text.split(",") if isinstance(text, str) else text)]
    names = [name for name in names if name]
    blankable = [name for name in columns if name not in NOT_BLANKABLE]
    for name in names:
        if name not in blankable:
            raise GdsheetError(f"--blank: no column {name!r} to leave empty; choose from {', '.join(blankable)}")
    return tuple(dict.fromkeys(names))


def _areas(wb: object) -> dict[str, Range]:
    """The workbook's defined names as areas (the writer's ``Sheet!$A$1:$B$2`` texts)."""
    areas = {}
    for name, definition in wb.defined_names.items():  # type: ignore[attr-defined]
        sheet, area = split_range(definition.attr_text)
        areas[name] = dataclasses.replace(area, sheet=sheet or SHEET)
    return areas


def _task_sentence(blank: Sequence[str], cells: Mapping[str, list[tuple[str, int, int]]]) -> tuple[str, str]:
    """What to write, for the Lesson sheet and for the Live sheet."""

    def spans(sheet: str) -> str:
        parts = []
        for name in blank:
            rows = [(c, r) for s, c, r in cells[name] if s == sheet]
            if rows:
                parts.append(f"{name} ({a1(*rows[0])}:{a1(*rows[-1])})")
        return ", ".join(parts)

    lesson = (
        f"Your task: the column(s) {spans(SHEET)} are empty. Write each one's formula in its first row, "
        "as the small hint above its header says, using the cells of the same row (x, y, m, b ...) and the "
        "named cells (learn, fd_step), then fill it down to the last row. A typed number scores nothing: "
        "your formulas are checked with other start values, learning rates and samples too."
    )
    live = spans("Live")
    live_text = (
        f"Your task here too: write the same formulas in {live}, filled down, as on the Lesson sheet." if live else ""
    )
    return lesson, live_text


def student_workbook(lesson: Lesson, student: Student, blank: Sequence[str]) -> object:
    """The lesson's workbook for one student: id and name shown and named, blank columns emptied."""
    wb = lesson_workbook(lesson)
    areas = _areas(wb)
    cells = {name: column_cells(areas, lesson, name) for name in blank}
    for sheet, column, row in (cell for name in blank for cell in cells[name]):
        wb[sheet].cell(row=row, column=column).value = None
    ws = wb[SHEET]
    put(ws, 1, 2, "Student (id, name):", text=True)
    put(ws, 3, 2, student.id, text=True)
    put(ws, 4, 2, student.name, text=True)
    for column in (1, 3):
        ws.cell(row=2, column=column).font = Font(bold=True)
    wb.defined_names["student_id"] = DefinedName("student_id", attr_text=f"{SHEET}!$C$2")
    wb.defined_names["student_name"] = DefinedName("student_name", attr_text=f"{SHEET}!$D$2")
    if blank:
        lesson_text, live_text = _task_sentence(blank, cells)
        first = areas["descent"].min_row
        put(ws, 1, first, lesson_text, text=True)
        ws.cell(row=first, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(f"A{first}:A{first + 9}")
        if live_text:
            put(wb["Live"], 1, 3, live_text, text=True)
    return wb


def _toml_value(value: object) -> str:
    """A TOML value: strings as JSON strings (a subset of TOML's basic strings), numbers by repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        raise GdsheetError(f"cannot record the non-finite number {value!r}")
    return repr(value)


def assignment_toml(assignment: Assignment) -> str:
    """The assignment file's text (read back by :func:`read_assignment`)."""
    lines = [
        "# gdsheet assignment: `gdsheet grade` reads this file. Keep it with the teacher's files.",
        "# [points] may be edited: the points of each graded item (0 leaves an item out of the total).",
        "",
        "[assignment]",
        f"version = {FORMAT_VERSION}",
        f"seed = {assignment.seed}",
        f"preset = {_toml_value(assignment.preset)}",
        f"noise = {_toml_value(float(assignment.noise))}",
        f"blank = {_toml_value(list(assignment.blank))}",
    ]
    if assignment.samples is not None:
        lines.append(f"samples = {assignment.samples}")
    lines += ["", "[lesson]"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in assignment.options.items()]
    lines += ["", "[points]"]
    lines += [f"{json.dumps(key)} = {_toml_value(float(value))}" for key, value in assignment.points.items()]
    for student in assignment.students:
        lines += ["", "[[students]]", f"id = {_toml_value(student.id)}", f"name = {_toml_value(student.name)}"]
    return "\n".join(lines) + "\n"


def _field(table: Mapping[str, object], key: str, kind: type | tuple[type, ...], where: str) -> object:
    value = table.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise GdsheetError(f"{where}: {key} is missing or of the wrong type")
    return value


def _positive(value: object, name: str) -> float:
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise GdsheetError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


def read_assignment(path: str | Path) -> Assignment:
    """The assignment recorded at ``path`` (an ``assignment.toml``), every value checked."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(4 * MAX_ROSTER_BYTES + 1)
    except OSError as exc:
        raise GdsheetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > 4 * MAX_ROSTER_BYTES:
        raise GdsheetError(f"{path}: larger than {4 * MAX_ROSTER_BYTES // 2**20} MB, too large for an assignment file")
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GdsheetError(f"{path}: not an assignment file ({exc})") from None
    where = str(path)
    head = doc.get("assignment")
    if not isinstance(head, dict) or head.get("version") != FORMAT_VERSION:
        raise GdsheetError(f"{where}: not a gdsheet assignment file (no [assignment] with version = {FORMAT_VERSION})")
    options = doc.get("lesson", {})
    if not isinstance(options, dict) or set(options) - set(OPTIONS):
        raise GdsheetError(f"{where}: [lesson] may only hold {', '.join(OPTIONS)}")
    points = doc.get("points", {})
    if not isinstance(points, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in points.values()
    ):
        raise GdsheetError(f"{where}: [points] must map item names to numbers >= 0")
    raw_students = doc.get("students", [])
    if not isinstance(raw_students, list) or not all(isinstance(s, dict) for s in raw_students):
        raise GdsheetError(f"{where}: [[students]] must be tables with an id and a name")
    students = [check_student(s.get("id"), s.get("name"), f"{where}: students") for s in raw_students]
    seed = _field(head, "seed", int, where)
    if seed < 0:  # type: ignore[operator]
        raise GdsheetError(f"{where}: seed must be a whole number >= 0")
    samples = head.get("samples")
    if samples is not None and (not isinstance(samples, int) or isinstance(samples, bool)):
        raise GdsheetError(f"{where}: samples must be a whole number")
    blank = _field(head, "blank", list, where)
    assignment = Assignment(
        seed=seed,  # type: ignore[arg-type]
        preset=_field(head, "preset", str, where),  # type: ignore[arg-type]
        options=options,
        samples=samples,
        noise=_positive(_field(head, "noise", (int, float), where), f"{where}: noise"),
        blank=tuple(str(name) for name in blank),  # type: ignore[union-attr]
        students=tuple(unique(students, where)),
        points={key: float(value) for key, value in points.items()},
        path=path,
    )
    try:
        lesson = assignment.base
    except GdsheetError as exc:
        raise GdsheetError(f"{where}: {exc}") from None
    _blank_list(list(assignment.blank), lesson, _columns(lesson))
    return assignment


def _columns(lesson: Lesson) -> tuple[str, ...]:
    """The descent table's columns of this lesson (descent, optimizer state, estimates)."""
    return layout_for(lesson).table_columns


def assign(
    roster: str | Path | Sequence[Student],
    out: str | Path,
    *,
    blank: str | Sequence[str] | None = None,
    seed: int = 0,
    preset: str = DEFAULT_PRESET,
    samples: int | None = None,
    noise: float | None = None,
    **options: object,
) -> Assignment:
    """Write ``out/<id>.xlsx`` for every student of ``roster`` (a CSV path or Students) and
    ``out/assignment.toml``; returns the assignment. ``options`` are build options
    (``m_start``, ``learn``, ``optimizer``, ``live_epochs`` ...); ``None`` keeps the preset's.

    Everything is validated (roster, options, blank columns, every student's lesson) before
    the first file is written."""
    if options.get("data") is not None:
        raise GdsheetError(
            "assign generates every student's samples: --data cannot be used (--samples N sets how many)"
        )
    options.pop("data", None)
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise GdsheetError(f"assign: unknown option(s) {', '.join(unknown)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise GdsheetError(f"--seed must be a whole number >= 0, got {seed!r}")
    sigma = DEFAULT_NOISE if noise is None else noise
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not math.isfinite(sigma) or sigma <= 0:
        raise GdsheetError(f"--noise must be a number > 0 (each student's samples are their own), got {sigma!r}")
    students = tuple(unique(list(roster), "the roster") if not isinstance(roster, (str, Path)) else read_roster(roster))
    given = {key: value for key, value in options.items() if value is not None}
    draft = Assignment(seed, str(preset), given, samples, float(sigma), (), students)
    blank_columns = _blank_list(blank, draft.base, _columns(draft.base))
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise GdsheetError(f"{target}: exists and is not a folder")
    lessons = {}
    for student in students:
        lesson = draft.lesson_of(student.id)
        if (where := overflow(lesson)) is not None:
            raise GdsheetError(f"the samples of {student.id!r} make the lesson overflow (the values named {where})")
        lessons[student.id] = lesson
    books = {s.id: student_workbook(lessons[s.id], s, blank_columns) for s in students[:1]}
    areas = _areas(books[students[0].id])
    assignment = dataclasses.replace(draft, blank=blank_columns)
    points = {item: COLUMN_POINTS if item in blank_columns else AREA_POINTS for item in assignment.items(areas)}
    assignment = dataclasses.replace(assignment, points=points, path=target / ASSIGNMENT_FILE)
    target.mkdir(parents=True, exist_ok=True)
    for student in students:
        wb = books.pop(student.id, None) or student_workbook(lessons[student.id], student, blank_columns)
        save_with_values(partial(save_streaming, wb), target / f"{student.id}.xlsx")  # type: ignore[arg-type]
    with atomic_output(target / ASSIGNMENT_FILE) as tmp:
        Path(tmp).write_text(assignment_toml(assignment), encoding="utf-8")
    return assignment
