"""`check` under random attack: random combinations of issue 16's tamperings never pass, and a
few hundred seeded mutations of a built lesson's bytes and XML always end in a documented exit
code (0, 1, 2, 3 or 4) with nothing or one line on stderr, never an internal error or a traceback."""

from __future__ import annotations

import random
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gdsheet.commands.build import build
from gdsheet.commands.check import check_workbook
from gdsheet.commands.run import run
from tests.support.cli_inprocess import run_cli
from tests.support.tamper import CHAINABLE_TAMPERINGS, RMSE_TAMPERINGS, Tampering


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = build(tmp_path_factory.mktemp("fuzz") / "lesson.xlsx", live_epochs=0, samples=5)
    run(path, epochs=2)
    return path


@settings(max_examples=12, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    others=st.lists(st.sampled_from(CHAINABLE_TAMPERINGS), min_size=1, max_size=4, unique=True),
    rmse=st.one_of(st.none(), st.sampled_from(RMSE_TAMPERINGS)),
    at=st.integers(min_value=0, max_value=3),
)
def test_random_combinations_of_tamperings_never_pass(
    ran: Path, others: list[Tampering], rmse: Tampering | None, at: int
) -> None:
    chosen = others if rmse is None else [*others[:at], rmse, *others[at:]]
    with tempfile.TemporaryDirectory() as tmp:
        path, named = ran, []
        for i, tamper in enumerate(chosen):
            target = Path(tmp) / f"step{i}.xlsx"
            named.append(tamper(path, target))
            path = target
        report = check_workbook(path, allow_unchecked=True)
        assert not report.ok
        messages = [str(m["message"]) for m in report.mismatches] + report.unchecked
        assert any(text in message for text in named for message in messages), (named, messages[:5])


XML_MEMBERS = ("xl/workbook.xml", "xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels", "_rels/.rels",
               "[Content_Types].xml", "xl/styles.xml")  # fmt: skip
FRAGMENTS = ("<", ">", "&", '"', "'", "0", "9", "-", "E", "<c r=\"A1\"><f>1/0</f></c>", "<definedName name=\"x\">",
             "</row>", "<v>1e999</v>", "\x00", "é", "<!--", "]]>", "$", "!", ":", "#REF!")  # fmt: skip


def mutate_xml(source: Path, target: Path, rng: random.Random) -> None:
    """Copy ``source`` with one XML member mutated: a slice deleted, doubled or replaced, or a fragment inserted."""
    member = rng.choice(XML_MEMBERS)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                text = data.decode("utf-8")
                at = rng.randrange(len(text))
                span = rng.choice((1, 2, 5, 20, 200))
                kind = rng.randrange(4)
                if kind == 0:
                    text = text[:at] + text[at + span :]
                elif kind == 1:
                    text = text[:at] + text[at : at + span] * 2 + text[at + span :]
                elif kind == 2:
                    text = text[:at] + rng.choice(FRAGMENTS) + text[at + span :]
                else:
                    text = text[:at] + rng.choice(FRAGMENTS) + text[at:]
                data = text.encode("utf-8")
            zout.writestr(info, data)


def mutate_bytes(source: Path, target: Path, rng: random.Random) -> None:
    """Copy ``source`` with a few of its bytes (zip headers, compressed data) changed."""
    data = bytearray(source.read_bytes())
    for _ in range(rng.choice((1, 2, 8))):
        data[rng.randrange(len(data))] = rng.randrange(256)
    target.write_bytes(bytes(data))


def test_seeded_mutations_end_in_a_documented_exit_with_at_most_one_line(ran: Path, tmp_path: Path) -> None:
    rng = random.Random(16)
    outcomes: dict[int, int] = {}
    for case in range(300):
        path = tmp_path / f"m{case}.xlsx"
        (mutate_bytes if case % 3 else mutate_xml)(ran, path, rng)  # bytes mostly fail fast
        command = "run" if case % 10 == 0 else "check"
        result = run_cli(command, str(path), *(["--epochs", "1"] if command == "run" else []))
        assert result.returncode in (0, 1, 2, 3, 4), (case, command, result.returncode, result.stderr)
        lines = result.stderr.splitlines()
        assert "Traceback" not in result.stderr and len(lines) == (result.returncode >= 2), (case, result.stderr)
        outcomes[result.returncode] = outcomes.get(result.returncode, 0) + 1
        path.unlink(missing_ok=True)
    assert outcomes.get(3, 0) > 50 and outcomes.get(0, 0) + outcomes.get(1, 0) > 20, outcomes  # both kinds were hit
