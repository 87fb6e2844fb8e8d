"""A class roster (`gdsheet assign ROSTER.csv`): the header ``id,name`` and one student a line.

The roster comes from a school's export or a hand-edited file, so it is hostile input: its size
is bounded before it is parsed (:data:`~gdsheet.limits.MAX_ROSTER_BYTES`, at most
:data:`~gdsheet.limits.MAX_STUDENTS` students), it must be UTF-8, an id is letters, digits,
``-`` and ``_`` (it becomes a file name and a cell), ids are unique ignoring case (``Ann.xlsx``
and ``ann.xlsx`` are one file on some systems), and a name is plain text: it is written as a
string cell, so ``=HYPERLINK(...)`` stays text. Every error is one line naming the file and line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from gdsheet.errors import GdsheetError
from gdsheet.lesson.preset_input import check_text
from gdsheet.lesson.samples_csv import csv_text
from gdsheet.limits import MAX_ROSTER_BYTES, MAX_STUDENTS

ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class Student:
    """One line of the roster."""

    id: str
    name: str


def check_student(student_id: object, name: object, where: str) -> Student:
    """A student from an id and a name, or one GdsheetError saying what is wrong (and ``where``)."""
    if not isinstance(student_id, str) or not ID_PATTERN.fullmatch(student_id):
        raise GdsheetError(
            f"{where}: id {student_id!r} must be 1 to 64 letters, digits, '-' or '_' (it names the student's file)"
        )
    if not isinstance(name, str) or not name.strip():
        raise GdsheetError(f"{where}: student {student_id!r} has no name")
    if len(name) > MAX_NAME_CHARS:
        raise GdsheetError(f"{where}: the name of {student_id!r} is longer than {MAX_NAME_CHARS} characters")
    check_text(f"{where}: the name of {student_id!r}", name)
    return Student(student_id, name.strip())


def unique(students: list[Student], where: str) -> list[Student]:
    """``students`` when no two share an id (ignoring case), else one error naming the two."""
    seen: dict[str, str] = {}
    for student in students:
        key = student.id.lower()
        if key in seen:
            raise GdsheetError(f"{where}: the id {student.id!r} appears twice (as {seen[key]!r} too)")
        seen[key] = student.id
    if not students:
        raise GdsheetError(f"{where}: the roster lists no students")
    return students


def read_roster(path: str | Path) -> list[Student]:
    """The students of a roster CSV with the header ``id,name``, in file order."""
    path = Path(path)
    text = csv_text(path, MAX_ROSTER_BYTES, "a roster")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise GdsheetError(f"{path}: cannot read: {exc}") from None
    if not rows or [cell.strip().lower() for cell in rows[0]] != ["id", "name"]:
        got = ",".join(rows[0]) if rows else ""
        raise GdsheetError(f"{path}:1: the header must be 'id,name', got {got!r}")
    students = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{path}:{number}"
        if len(row) != 2:
            raise GdsheetError(f"{where}: expected 2 values (id,name), got {len(row)}")
        if len(students) == MAX_STUDENTS:
            raise GdsheetError(f"{path}: more than {MAX_STUDENTS:,} students")
        students.append(check_student(row[0].strip(), row[1], where))
    return unique(students, str(path))
