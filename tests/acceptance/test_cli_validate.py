"""`deckgen validate` on the sample book and on broken books, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from deckgen.cli import cli

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "book"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_sample_book_is_usable_and_names_its_seeded_faults() -> None:
    code, out, _ = run("validate", str(SAMPLE), "--as-of", "2026-11-28")
    assert code == 0, out
    assert "Usable: yes" in out
    assert "[A-0004]" in out and "account-ID mismatch" in out
    assert "qbr_hold is set" in out and "[A-0002]" in out
    assert "onboarding-stage variant" in out and "[A-0012]" in out
    assert "billed revenue down" in out and "[A-0013]" in out


def test_json_report(tmp_path: Path) -> None:
    code, out, _ = run("validate", str(SAMPLE), "--as-of", "2026-11-28", "--json")
    data = json.loads(out)
    assert code == 0 and data["usable"] is True and data["accounts"] == 120
    assert data["accounts_gated"]["A-0004"]["status"] == "blocked"
    codes = {f["code"] for f in data["findings"]}
    assert {"zero_users_with_activity", "held", "onboarding", "mrr_drop"} <= codes


def test_unusable_book_exits_1_with_file_and_column(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    text = (
        (book / "accounts.csv")
        .read_text()
        .replace("account_id,name,arr", "account_id,name,revenue", 1)
    )
    (book / "accounts.csv").write_text(text)
    code, out, err = run("validate", str(book))
    assert code == 1
    assert "accounts.csv: missing required column(s) arr" in err
    assert "Traceback" not in out + err


def test_broken_rows_are_located(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    lines = (book / "accounts.csv").read_text().splitlines()
    header = lines[0].split(",")
    row = lines[5].split(",")
    row[header.index("arr")] = "-5"
    lines[5] = ",".join(row)
    (book / "accounts.csv").write_text("\n".join(lines) + "\n")
    with open(book / "usage.csv", "a") as fh:
        fh.write("a-0001 ,2026-10,5,,,,\n")
    code, out, _ = run("validate", str(book), "--as-of", "2026-11-28")
    assert code == 0
    assert "accounts.csv, row 6, column arr: expected a value >= 0, found '-5'" in out
    assert "did you mean 'A-0001'?" in out


def test_missing_book_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path / "nope"))
    assert code == 2 and "does not exist" in err


def test_help_is_fast_to_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys, deckgen.cli; heavy = [m for m in ('pandas', 'pptx', 'matplotlib', "
        "'duckdb') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
