"""`gdsheet run` and `gdsheet reset`: the Run Epoch and Reset buttons, without a spreadsheet app.

One epoch = recalculate, copy each carried SOURCE value into its TARGET (for a lesson: each
parameter's ``next_p`` -> ``p_start``, the line's ``next_m`` -> ``m_start`` and ``next_b`` ->
``b_start``, and any other ``next_X`` -> ``X_start`` pair, which is where optimizer state rides),
recalculate, record. A lesson's parameters are the text cells of its ``parameters`` name. The workbook is then
patched in place (only the carried cells, the log, and cached results change), so charts,
macros and everything else in the file survive.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gdsheet.commands.interrupts import Signals, signal_name
from gdsheet.commands.records import EpochRecords, Record, picker
from gdsheet.engine import DEFAULT_ENGINE
from gdsheet.engine.evaluator import Evaluator
from gdsheet.errors import BadCell, Diverged, GdsheetError, Interrupted, RunStopped, WorkbookError
from gdsheet.lesson.contract import LOG_NAME, PARAMETERS_NAME, next_name, reset_name, start_name
from gdsheet.lesson.spec import LOSSES, loss_key
from gdsheet.limits import epochs_problem
from gdsheet.xlsx.archive import check_workbook_archive
from gdsheet.xlsx.cellvalue import describe, is_number, is_overflow
from gdsheet.xlsx.chart_ranges import grow_log_ranges
from gdsheet.xlsx.locking import workbook_lock
from gdsheet.xlsx.patch import MISSING, REMOVE, RowBlock, patch_workbook
from gdsheet.xlsx.ranges import Range, a1, quote_sheet

LINE_PARAMETERS = ("m", "b")
"""The parameters of a lesson built before the ``parameters`` name existed (the line's)."""

Progress = Callable[[int, int], None]
Checkpoint = Callable[[EpochRecords, dict[str, float]], None]

EPOCHS_A_CALL = 512
"""Epochs the compiled engine plays in one call at most (a run then checks for a signal and a
due checkpoint); fewer while a call takes longer than :data:`SECONDS_A_CALL`."""

SECONDS_A_CALL = 0.05
"""How long one call of many epochs may take, so that Ctrl-C is answered within about that."""

CHECKPOINT_SECONDS = 60.0
"""A run saves its finished epochs at least this often (seconds of work), so a crash, a kill
or a power cut loses at most this much; SIGINT and SIGTERM save everything finished."""


@dataclass(frozen=True)
class EpochPlan:
    """What one epoch does: which cells feed which, and what is recorded (key -> target)."""

    carry: tuple[tuple[str, str], ...]  # (target, source)
    record: tuple[tuple[str, str], ...]  # (record key, target)
    log: Range | None  # where records are appended, for a lesson


def lesson_carry(ev: Evaluator) -> tuple[tuple[str, str], ...]:
    """Every ``next_X`` name with an ``X_start`` twin: m and b, and any carried state."""
    pairs = [(start_name(name[5:]), name) for name in sorted(ev.names) if name == next_name(name[5:])]
    return tuple((target, source) for target, source in pairs if target in ev.names)


def parse_carry(text: str) -> tuple[str, str]:
    """``TARGET=SOURCE`` as a pair."""
    target, sep, source = text.partition("=")
    if not sep or not target.strip() or not source.strip():
        raise GdsheetError(f"--carry {text!r}: expected TARGET=SOURCE, e.g. Sheet1!B2=Sheet1!H21")
    return target.strip(), source.strip()


def epoch_plan(ev: Evaluator, carry: Sequence[str] = (), record: Sequence[str] = ()) -> EpochPlan:
    """The plan for a lesson workbook (no options) or for any workbook (``--carry``/``--record``)."""
    if carry:
        pairs = tuple(parse_carry(text) for text in carry)
        for target, source in pairs:
            if ev.area(target).shape != (1, 1) or ev.area(source).shape != (1, 1):
                raise WorkbookError(f"--carry {target}={source}: both sides must be single cells")
        records = tuple((text, text) for text in record)
        for _, target in records:
            ev.area(target)  # validates the sheet and the cell
        return EpochPlan(pairs, records, None)
    hint = "; to run another workbook, say what to carry with --carry TARGET=SOURCE"
    params = lesson_parameters(ev)
    ev.require((*map(start_name, params), *map(next_name, params), "rmse", LOG_NAME), hint)
    pairs = lesson_carry(ev)
    records = lesson_records(ev) + tuple((text, text) for text in record)
    return EpochPlan(pairs, records, ev.area(LOG_NAME))


def lesson_parameters(ev: Evaluator) -> tuple[str, ...]:
    """The lesson's parameters, from the text cells of its ``parameters`` name (the line's m and b
    for a lesson without one)."""
    if PARAMETERS_NAME not in ev.names:
        return LINE_PARAMETERS
    params = tuple(str(value) for value in ev.constants(PARAMETERS_NAME))
    if not params or not all(p.isidentifier() for p in params):
        raise WorkbookError(f"{ev.path}: the {PARAMETERS_NAME} cells must name the parameters, got {params!r}")
    return params


def lesson_records(ev: Evaluator) -> tuple[tuple[str, str], ...]:
    """Each parameter and the loss, keyed by the lesson's loss (``rmse``, ``root_sum_square`` or
    ``log_loss``) and as ``loss``, then a classifier's ``accuracy`` (the epoch log's columns, in order)."""
    loss = str(ev.constants("loss")[0]) if "loss" in ev.names else "rmse"
    key = loss_key(loss) if loss in LOSSES else "rmse"
    scores = (("accuracy", "accuracy"),) if "accuracy" in ev.names else ()
    return (*((p, start_name(p)) for p in lesson_parameters(ev)), (key, "rmse"), ("loss", "rmse"), *scores)


def _describe(ev: Evaluator, target: str) -> str:
    """The cell as Excel writes it (``'O''Brien'!B1``), and the defined name when one was given."""
    cell = str(ev.area(target))
    return cell if "!" in target else f"{cell}, {target}"


def existing_log(ev: Evaluator, log: Range) -> list[list[object]]:
    """The rows of the log that hold a record (their epoch cell is a number)."""
    rows = []
    for row in range(log.min_row, log.max_row + 1):
        values = [ev.stored(log.sheet, column, row) for column in range(log.min_col, log.max_col + 1)]
        if isinstance(values[0], (int, float)):
            rows.append(values)
    return rows


def cell_problem(ev: Evaluator, target: str, value: object, epoch: int) -> RunStopped | None:
    """Why a carried or recorded value stops the run, or None for a finite number.

    Numeric overflow (inf, NaN, ``#NUM!``, ``#DIV/0!``) is divergence (exit 4); anything else
    that is not a number (empty, text, a bool, ``#REF!``, ``#VALUE!``...) is a wrong workbook
    or a wrong cell (exit 3), whatever epoch it shows up in."""
    if is_number(value):
        return None
    cell = _describe(ev, target)
    if is_overflow(value):
        return Diverged(f"diverged at epoch {epoch} (cell {cell})")
    return BadCell(f"{cell} holds {describe(value)} where a number belongs (a carried or recorded cell, epoch {epoch})")


def play(ev: Evaluator, plan: EpochPlan, epochs: int, first_epoch: int = 1, progress: Progress | None = None,
         checkpoint: Checkpoint | None = None, interrupted: Callable[[], int | None] = lambda: None,
         keep_json: bool = False) -> tuple[EpochRecords, dict[str, float], RunStopped | None]:  # fmt: skip
    """Play the epochs; returns (records, the carried inputs after the last good epoch, why it stopped).

    Stops at the first epoch whose carried or recorded values are not finite numbers, or when
    ``interrupted()`` names a signal, and returns the state before it, so the caller saves only
    finished, finite epochs. ``checkpoint(records, state)`` is called after an epoch whenever
    :data:`CHECKPOINT_SECONDS` of work have passed since the start or the last checkpoint, and at
    least as long as that checkpoint took: a save grows with the log, so checkpoints never take
    more than half of a run's time, and a run stays linear in its epochs.

    An epoch costs the stepper and little else: each distinct cell is computed once (a lesson
    records its loss as ``rmse`` and as ``loss``), the outputs are checked in one pass (a
    finite float each; only otherwise is each value asked why), and the numbers are appended to
    the records' array. The compiled engine plays up to :data:`EPOCHS_A_CALL` epochs a call
    (as many as take about :data:`SECONDS_A_CALL`), checking and appending in its own loop (when
    no ``progress`` wants each epoch); an epoch its fast program cannot play (an overflow, a cell
    that is not a number) is played here, one by one.
    """
    sources = [source for _, source in plan.carry]
    targets = [target for target, _ in plan.carry]
    recorded = list(dict.fromkeys(target for _, target in plan.record))
    cells = recorded + [source for source in sources if source not in recorded]
    slots = [recorded.index(target) for _, target in plan.record]
    records = EpochRecords([key for key, _ in plan.record], slots, len(recorded), first_epoch, keep_json)
    width = len(recorded)
    step = ev.stepper(targets, cells, [cells.index(source) for source in sources], width)
    carried = picker([cells.index(source) for source in sources])
    # many epochs a call (the compiled engine's), unless every epoch must be seen
    many = getattr(step, "epochs", None) if progress is None and CHECKPOINT_SECONDS > 0 else None
    current: Sequence[object] = [ev.values({}, sources)[source][0, 0] for source in sources]
    checked = False  # whether ``current`` is known to hold finite floats (the last outputs, checked)
    inputs: Sequence[float] | None = None  # the carried values of the last finished epoch
    last_save, due = time.monotonic(), _due(0.0)
    append, finite, monotonic = records.append, _finite_floats, time.monotonic  # locals: read once an epoch
    epoch, end, alone = first_epoch, first_epoch + epochs, 0  # alone: epochs to play one a call
    batch = 1  # epochs a call: doubled while a call is quick (a large lesson's epoch is not)

    def save_now(checkpoint: Checkpoint) -> None:
        nonlocal last_save, due
        started = time.monotonic()
        checkpoint(records, _state(targets, inputs))  # type: ignore[arg-type]
        last_save = time.monotonic()
        due = _due(last_save - started)

    while epoch < end:
        if (signum := interrupted()) is not None:
            return records, _state(targets, inputs), _interruption(signum, len(records), ev.path)
        if many is not None and checked and not alone:
            started = monotonic()
            done, last, following = many(current, min(end - epoch, batch), records.values)
            took = monotonic() - started
            batch = min(batch * 2, EPOCHS_A_CALL) if took < SECONDS_A_CALL / 2 else max(batch // 2, 1)
            if done:
                records.appended(done)
                epoch, inputs, current = epoch + done, last, following
                if checkpoint is not None and monotonic() - last_save >= due:
                    save_now(checkpoint)
                continue
            alone = EPOCHS_A_CALL  # the fast program cannot play this epoch: play a while one by one
        alone = max(alone - 1, 0)
        if not checked:
            for source, value in zip(sources, current, strict=True):
                if problem := cell_problem(ev, source, value, epoch):
                    return records, _state(targets, inputs), problem
            current = [float(value) for value in current]  # type: ignore[arg-type]
        outputs = step(current)  # type: ignore[arg-type]
        checked = finite(outputs)
        if not checked:
            for (_, target), slot in zip(plan.record, slots, strict=True):
                if problem := cell_problem(ev, target, outputs[slot], epoch):
                    return records, _state(targets, inputs), problem
        append(outputs[:width])  # type: ignore[arg-type]
        inputs, current = current, carried(outputs)  # type: ignore[assignment]
        if progress is not None:
            progress(epoch - first_epoch + 1, epochs)
        if checkpoint is not None and monotonic() - last_save >= due:
            save_now(checkpoint)
        epoch += 1
    return records, _state(targets, inputs), None


def _due(save_took: float) -> float:
    """Seconds of work after which a checkpoint is due, given how long the last one took."""
    return max(CHECKPOINT_SECONDS, save_took) if CHECKPOINT_SECONDS > 0 else 0.0  # 0: after every epoch


def _state(targets: Sequence[str], inputs: Sequence[float] | None) -> dict[str, float]:
    """The carried cells' values (none before the first epoch finished)."""
    return {} if inputs is None else dict(zip(targets, inputs, strict=True))


def _finite_floats(values: Sequence[object]) -> bool:
    """Whether every value is a finite float (``x - x`` is 0.0 only for those)."""
    total = 0.0
    for value in values:
        if type(value) is not float:
            return False
        total += value - value
    return total == 0.0


def _interruption(signum: int, done: int, path: Path) -> Interrupted:
    name = signal_name(signum)
    if done == 0:
        return Interrupted(f"interrupted by {name} before an epoch finished; {path} is unchanged", signum)
    return Interrupted(f"interrupted by {name} after {done} epoch(s); they are saved in {path}", signum)


def _cell_key(ev: Evaluator, target: str) -> tuple[str, str]:
    area = ev.area(target)
    return area.sheet, area.ref()


def _log_ref(log: Range, rows: int, width: int) -> str:
    """refers-to text of the log grown (or shrunk) to ``rows`` rows (at least one) and ``width`` columns."""
    grown = Range(log.sheet, log.min_row, log.min_col, log.min_row + max(rows, 1) - 1, log.min_col + width - 1)
    return f"{quote_sheet(grown.sheet)}!{grown.ref(absolute=True)}"


def save_state(ev: Evaluator, path: Path, inputs: dict[str, float], log_rows: Sequence[Sequence[object]] | None,
               plan_log: Range | None, log_headers: dict[int, str] | None = None, *, unchanged: int = 0,
               width: int | None = None) -> None:  # fmt: skip
    """Write the carried inputs, the log and every formula's recalculated result into ``path``.

    ``log_headers``: text for the header row above the log, by column offset (``--record`` columns).
    ``unchanged``: how many leading rows of ``log_rows`` the file already holds as they are (a
    run's earlier checkpoint, the log a run started from); they are not written again, so a save
    costs what it adds. ``width``: the log's columns, when the caller knows them (else the
    widest row). The log's charts grow (or shrink) with its rows.
    """
    values: dict[tuple[str, str], object] = {_cell_key(ev, target): value for target, value in inputs.items()}
    names = {}
    chart_edit = None
    blocks = {}
    if plan_log is not None and log_rows is not None:
        if width is None:
            width = max([plan_log.max_col - plan_log.min_col + 1] + [len(row) for row in log_rows])
        for offset, text in (log_headers or {}).items():
            values[(plan_log.sheet, a1(plan_log.min_col + offset, plan_log.min_row - 1))] = text
        height = max(len(log_rows), plan_log.max_row - plan_log.min_row + 1)

        def row_at(i: int, rows: Sequence[Sequence[object]] = log_rows, size: int = width) -> list[object]:
            # rows a reset (or a shorter log) gives up are removed, the first is only cleared,
            # so that its number formats stay for the next run
            i += unchanged
            if i < len(rows):
                row = rows[i]
                return [*row, *[None] * (size - len(row))] if len(row) < size else row
            return [None if i == 0 else REMOVE] * size

        def rows_from(i: int, rows: Sequence[Sequence[object]] = log_rows, size: int = width) -> Iterator[object]:
            if isinstance(rows, _LogView) and rows.width == size:  # a run's log: rows made full width
                yield from rows.rows_from(i + unchanged)
            else:
                yield from (row_at(k) for k in range(i, len(rows) - unchanged))
            yield from (row_at(k) for k in range(max(i, len(rows) - unchanged), height - unchanged))

        blocks[plan_log.sheet] = RowBlock(plan_log.min_row + unchanged, plan_log.min_col, width, height - unchanged,
                                          row_at, rows_from)  # fmt: skip
        names[LOG_NAME] = _log_ref(plan_log, len(log_rows), width)
        last_row = plan_log.min_row + max(len(log_rows), 1) - 1
        log = Range(plan_log.sheet, plan_log.min_row, plan_log.min_col, last_row, plan_log.min_col + width - 1)
        chart_edit = lambda xml: grow_log_ranges(xml, log)  # noqa: E731
    readers = ev.formula_readers(inputs)
    cached_at = {sheet: _cached_reader(read) for sheet, read in readers.items()}
    patch_workbook(path, path, values=values, cached_at=cached_at, names=names, chart_edit=chart_edit, rows=blocks,
                   formulas_end=ev.last_formula_rows())  # fmt: skip
    if log_rows is not None and (reading := sheets_reading_the_log(ev)):
        refresh_cached_values(ev, path, reading)


def sheets_reading_the_log(ev: Evaluator) -> frozenset[str]:
    """The sheets holding a formula that reads the epoch log by its name (the Surface sheet's
    path of the log: ``INDEX(epoch_log, …)``)."""
    shapes = ev.book.shapes.shapes
    return frozenset(
        sheet.name
        for sheet in ev.book.sheets
        if any(LOG_NAME in shapes[run.shape].text.lower() for runs in sheet.runs.values() for run in runs)
    )


def refresh_cached_values(ev: Evaluator, path: Path, sheets: frozenset[str]) -> None:
    """Recalculate the formulas of ``sheets`` from the file as just saved, and save their results.

    ``ev`` compiled the workbook as it was read, when ``epoch_log`` named the rows before this
    run: what it computes for a formula reading the log is the old log's. The file now holds the
    new rows and the name grown over them, so it is read again (the same engine), and only these
    sheets' cached results are rewritten. It costs a second save, for workbooks whose formulas
    read the log; every other workbook saves once."""
    fresh = Evaluator(path, ev.engine_kind, ev.verbose, seed=ev.seed)
    readers = fresh.formula_readers()
    cached_at = {sheet: _cached_reader(read) for sheet, read in readers.items() if sheet in sheets}
    patch_workbook(path, path, cached_at=cached_at, formulas_end=fresh.last_formula_rows())


def _cached_reader(read: Callable[[int, int], object]) -> Callable[[int, int], object]:
    """``read`` for :func:`patch_workbook`: an empty result keeps the cell's cached value as it is."""
    return lambda row, col: MISSING if (value := read(row, col)) is None else value


def run(path: str | Path, epochs: int | None = None, **options: Any) -> list[Record]:
    """Run epochs on the workbook at ``path`` and save it; returns the records of this run, a dict
    each. ``options``: :func:`run_records`'s (``carry``, ``record``, ``progress``, ``force``,
    ``engine``, ``verbose``, ``seed``), whose docstring says what each does and what is raised
    (``exc.records`` is then a list of dicts too)."""
    try:
        return list(run_records(path, epochs, **options))
    except RunStopped as exc:
        exc.records = list(exc.records)
        raise


def run_records(
    path: str | Path,
    epochs: int | None = None,
    *,
    carry: Sequence[str] = (),
    record: Sequence[str] = (),
    progress: Progress | None = None,
    force: bool = False,
    engine: str = DEFAULT_ENGINE,
    verbose: bool = False,
    seed: int = 0,
    keep_json: bool = False,
) -> EpochRecords:
    """Run epochs on the workbook at ``path`` and save it; returns the records of this run, kept as
    numbers (:class:`EpochRecords`): what the command line prints, so a million epochs never
    become a million dicts.

    Raises :class:`Diverged` when a value overflows, :class:`BadCell` when a carried or recorded
    cell holds no number, and :class:`Interrupted` on SIGINT or SIGTERM, each after saving the
    epochs that finished (``exc.records``); finished epochs are also saved every
    :data:`CHECKPOINT_SECONDS` of work. The workbook is locked for the whole run (see
    :mod:`gdsheet.xlsx.locking`; ``force`` runs it even when an office suite's lock file says it is open).
    ``seed`` starts the stream of RAND and RANDBETWEEN draws (a volatile cell draws anew every
    epoch, as at each of Excel's recalculations), so the same seed gives the same run.
    ``keep_json``: each record's JSON is kept as the log is written (``--json`` prints it; see
    :meth:`EpochRecords.text_rows`)."""
    if epochs is not None and (problem := epochs_problem(epochs)):
        raise GdsheetError(problem)
    with Signals() as signals, workbook_lock(path, force=force) as locked:
        check_workbook_archive(locked)
        ev = Evaluator(locked, engine, verbose, seed=seed)
        return _run(locked, epochs, carry, record, progress, ev, lambda: signals.received, keep_json)


def _run(path: Path, epochs: int | None, carry: Sequence[str], record: Sequence[str], progress: Progress | None,
         ev: Evaluator, interrupted: Callable[[], int | None], keep_json: bool = False) -> EpochRecords:  # fmt: skip
    """:func:`run`'s work, once the workbook is locked."""
    plan = epoch_plan(ev, carry, record)
    if epochs is None:
        if "epochs" not in ev.names:
            raise WorkbookError(f"{path}: no 'epochs' cell; give --epochs N")
        stored = ev.numbers("epochs")[0]
        if problem := epochs_problem(stored):
            raise WorkbookError(f"{path}: the epochs cell: {problem}")
        epochs = int(stored)
    log_rows = existing_log(ev, plan.log) if plan.log is not None else None
    headers: dict[int, str] = {}
    offsets: dict[str, int] = {}
    columns: list[str] = []
    if log_rows is not None and plan.log is not None:
        built_in = [key for key, _ in lesson_records(ev)]
        columns = [key for key in built_in if key != "loss"]  # the log: each parameter, the loss, scores
        offsets, headers = record_columns(
            ev, plan.log, [key for key, _ in plan.record[len(built_in) :]], len(columns) + 1
        )

    positions = [*((1 + j, key) for j, key in enumerate(columns)), *((offset, key) for key, offset in offsets.items())]

    prefix = len(log_rows or ())  # rows the file holds as they are: the log before the run, then each save's
    if plan.log is not None and any(
        not isinstance(ev.stored(plan.log.sheet, plan.log.min_col, plan.log.min_row + i), int | float)
        for i in range(prefix)
    ):
        prefix = 0  # a log with gaps is written anew, compacted
    width = (
        None
        if plan.log is None
        else max(plan.log.shape[1], len(columns) + 1, *[offset + 1 for offset in offsets.values()])
    )
    saved = [0, prefix]  # records saved so far, and the rows the file then holds as they are

    def save(records: EpochRecords, state: dict[str, float]) -> None:
        if saved[0] == len(records) and records:
            return  # a checkpoint has just saved every one of them
        rows = None if log_rows is None else _LogView(log_rows, records, positions, width)  # type: ignore[arg-type]
        save_state(ev, path, state, rows, plan.log, headers, unchanged=saved[1], width=width)
        saved[:] = [len(records), len(log_rows or ()) + len(records)]

    first = int(log_rows[-1][0]) + 1 if log_rows else 1
    records, state, stopped = play(ev, plan, epochs, first, progress, save, interrupted, keep_json)
    if records:
        save(records, state)
    if stopped is None and (signum := interrupted()) is not None:  # it came during the last save
        stopped = _interruption(signum, len(records), ev.path)
    if stopped is not None:
        stopped.records = records
        raise stopped
    return records


class _LogView(Sequence[Sequence[object]]):
    """The log's rows for a save, ``width`` values each: those it started with, then one per
    record, made from the records' numbers as they are read, so a million epochs never exist
    twice in memory. ``positions``: (column offset, record key) of each recorded column (the
    epoch is at offset 0)."""

    def __init__(self, before: list[list[object]], records: EpochRecords, positions: Sequence[tuple[int, str]],
                 width: int) -> None:  # fmt: skip
        self.before, self.records, self.width = before, records, width
        slot_of = dict(zip(records.keys, records.slots, strict=True))
        self.places = [offset for offset, _ in positions]
        self.slots = [slot_of[key] for _, key in positions]
        self.pick = picker(self.slots)
        self.dense = self.places == list(range(1, width))  # epoch, then every column in order

    def __len__(self) -> int:
        return len(self.before) + len(self.records)

    def __getitem__(self, i: int) -> Sequence[object]:  # type: ignore[override]
        if i < len(self.before):
            return [*self.before[i], *[None] * (self.width - len(self.before[i]))]
        k = i - len(self.before)
        return self._row(self.records.first_epoch + k, self.pick(self.records.row(k)))

    def _row(self, epoch: int, values: Sequence[float]) -> Sequence[object]:
        if self.dense:
            return (epoch, *values)
        row: list[object] = [None] * self.width
        row[0] = epoch
        for place, value in zip(self.places, values, strict=True):
            row[place] = value
        return row

    def rows_from(self, i: int) -> Iterator[Sequence[object]]:
        """Rows ``i``.. in order (a long log's save reads them so)."""
        yield from (self[k] for k in range(i, len(self.before)))
        start = max(i - len(self.before), 0)
        if self.dense:  # each number formatted once, for the file and the JSON (EpochRecords.text_rows)
            yield from self.records.text_rows(start, self.slots)
            return
        records, pick, row = self.records, self.pick, self._row
        values, w, first = records.values, records.width, records.first_epoch
        for k in range(start, len(records)):
            yield row(first + k, pick(values[k * w : (k + 1) * w]))


def record_columns(ev: Evaluator, log: Range, keys: list[str], built_in: int) -> tuple[dict[str, int], dict[int, str]]:
    """Each recorded CELL's column in the log (by offset), found by its header text above the log or
    added after the last one (after the ``built_in`` columns: epoch, each parameter, the loss);
    returns those offsets and the headers to write."""
    header_row = log.min_row - 1
    existing = {
        str(ev.stored(log.sheet, column, header_row)): column - log.min_col
        for column in range(log.min_col + built_in, log.max_col + 1)
        if ev.stored(log.sheet, column, header_row) is not None
    }
    offsets, headers = {}, {}
    next_offset = max([built_in - 1, *existing.values()]) + 1
    for key in keys:
        if key in existing:
            offsets[key] = existing[key]
        else:
            offsets[key] = headers_offset = next_offset
            headers[headers_offset] = key
            existing[key], next_offset = headers_offset, next_offset + 1
    return offsets, headers


def reset(path: str | Path, *, force: bool = False, engine: str = DEFAULT_ENGINE) -> None:
    """The Reset button: the parameters (and any optimizer state) back to their built values, log cleared.

    Every ``X_reset`` cell with an ``X_start`` twin is copied into it, so carried state such as
    momentum's velocity restarts at 0 with m and b.
    """
    with workbook_lock(path, force=force) as locked:
        check_workbook_archive(locked)
        _reset(locked, Evaluator(locked, engine))


def _reset(path: Path, ev: Evaluator) -> None:
    """:func:`reset`'s work, once the workbook is locked."""
    params = lesson_parameters(ev)
    ev.require((*map(start_name, params), *map(reset_name, params), LOG_NAME))
    resets = [name[: -len("_reset")] for name in sorted(ev.names) if name.endswith("_reset")]
    inputs = {start_name(x): ev.numbers(reset_name(x))[0] for x in resets if start_name(x) in ev.names}
    save_state(ev, path, inputs, [], ev.names[LOG_NAME])


def terminal_progress(done: int, total: int, what: str = "epoch") -> None:
    """A one-line progress bar on stderr (used only when stderr is a terminal)."""
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {what} {done}/{total}")
    if done == total:
        sys.stderr.write("\r" + " " * (width + 30) + "\r")
    sys.stderr.flush()
