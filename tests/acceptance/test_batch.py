"""`deckgen batch` on the sample book: selection, gates, manifest, summary page, resumability."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.conftest import AS_OF, SAMPLE, invoke

pytestmark = pytest.mark.slow


def week(out: Path, *extra: str) -> Any:
    """`deckgen batch` over QBR week 2026-W50 of the sample book, decks only."""
    return invoke(
        "batch",
        SAMPLE,
        "--week",
        "2026-W50",
        "--as-of",
        AS_OF,
        "--out",
        out,
        "--format",
        "pptx",
        *extra,
    )


@pytest.fixture(scope="module")
def week_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("week")
    result = week(out, "--jobs", "2")
    return out, result


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_week_selection_and_gates(week_run: tuple[Path, Any]) -> None:
    out, result = week_run
    assert result.exit_code == 0, result.output
    records = {r["account_id"]: r for r in manifest(out)["accounts"]}
    assert len(records) == 20
    assert all("2026-12-07" <= r["qbr_date"] <= "2026-12-13" for r in records.values())
    assert records["A-0002"]["status"] == "held" and records["A-0002"]["files"] == []
    assert records["A-0004"]["status"] == "blocked"
    assert any("account-ID mismatch" in x for x in records["A-0004"]["reasons"])
    assert records["A-0003"]["status"] == "review"
    assert all(f["path"].startswith("review/") for f in records["A-0003"]["files"])
    assert records["A-0001"]["status"] == "rendered"
    assert {f["kind"] for f in records["A-0001"]["files"]} == {"executive", "enterprise"}
    assert records["A-0010"]["variant"] == "onboarding"


def test_manifest_files_exist_with_their_hashes(week_run: tuple[Path, Any]) -> None:
    out, _ = week_run
    for r in manifest(out)["accounts"]:
        for f in r["files"]:
            data = (out / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"]
        assert r["input_hash"] and r["deckgen_version"]
    assert not list(out.rglob("*.tmp")), "no temp files left behind"


def test_manifest_csv_matches_json(week_run: tuple[Path, Any]) -> None:
    out, _ = week_run
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    assert [r["account_id"] for r in rows] == [r["account_id"] for r in manifest(out)["accounts"]]
    assert set(rows[0]) >= {
        "account_id",
        "name",
        "tier",
        "qbr_date",
        "status",
        "reasons",
        "health_score",
        "health_band",
        "roi_pct",
        "placeholders",
        "files",
    }


def test_summary_page_lists_red_first_and_links_files(week_run: tuple[Path, Any]) -> None:
    out, _ = week_run
    html = (out / "index.html").read_text(encoding="utf-8")
    assert html.index("Initech Software") < html.index("Northwind Logistics")
    assert 'href="review/a-0003_initech-software_enterprise_2026Q3.pptx"' in html
    assert "QBR engagement rate" in html and "ARR at risk" in html
    # ARR at risk per currency, by CSM and by tier; never one sum across currencies.
    written = manifest(out)
    by_currency = written["program"]["at_risk_arr_by_currency"]
    red = [r for r in written["accounts"] if r["health_band"] == "red"]
    for currency in {r["currency"] for r in red}:
        assert by_currency[currency] == sum(r["arr"] for r in red if r["currency"] == currency)
    assert "<h2>By CSM</h2>" in html and "<h2>By tier</h2>" in html
    for r in red:
        assert r["csm_name"] in html
    assert "&lt;" not in html or "<script" not in html


def test_rerun_skips_up_to_date_and_force_rerenders(week_run: tuple[Path, Any]) -> None:
    out, _ = week_run
    before = {p: p.read_bytes() for p in out.rglob("*.pptx")}
    again = week(out, "--jobs", "1")
    assert again.exit_code == 0 and "20 up to date" in again.stdout
    assert {p: p.read_bytes() for p in out.rglob("*.pptx")} == before
    target = out / "a-0001_northwind-logistics_executive_2026Q3.pptx"
    target.write_bytes(b"tampered")
    fixed = week(out, "--jobs", "1")
    assert fixed.exit_code == 0 and "19 up to date" in fixed.stdout
    assert target.read_bytes().startswith(b"PK")
    forced = week(out, "--jobs", "2", "--force")
    assert forced.exit_code == 0 and "(0 up to date" in forced.stdout


def test_csv_cells_are_protected_against_formula_injection(tmp_path: Path) -> None:
    import shutil

    book = tmp_path / "book"
    shutil.copytree(SAMPLE, book)
    text = (book / "accounts.csv").read_text(encoding="utf-8")
    text = text.replace("Northwind Logistics", '"=HYPERLINK(""http://x"",""y"")"', 1)
    (book / "accounts.csv").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(
        "batch",
        book,
        "--from",
        "2026-12-09",
        "--to",
        "2026-12-09",
        "--as-of",
        AS_OF,
        "--out",
        out,
        "--format",
        "pptx",
        "--jobs",
        "1",
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "manifest.csv").open(encoding="utf-8")))
    names = [r["name"] for r in rows]
    assert '\'=HYPERLINK("http://x","y")' in names


def test_shards_partition_the_selection(tmp_path: Path) -> None:
    seen: list[str] = []
    for i in (1, 2, 3):
        out = tmp_path / f"s{i}"
        r = invoke(
            "batch",
            SAMPLE,
            "--all",
            "--as-of",
            AS_OF,
            "--out",
            out,
            "--format",
            "pptx",
            "--shard",
            f"{i}/3",
            "--jobs",
            "1",
            "--quiet",
        )
        assert r.exit_code == 0, r.output
        seen += [x["account_id"] for x in manifest(out)["accounts"]]
    assert len(seen) == len(set(seen)) == 120


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    r = invoke("batch", SAMPLE, "--week", "2026-W50", "--all", "--out", tmp_path)
    assert r.exit_code == 2 and "exactly one of" in r.stderr
    r = invoke("batch", SAMPLE, "--week", "2026-W99", "--out", tmp_path)
    assert r.exit_code == 2 and "not a week" in r.stderr
    r = invoke("batch", SAMPLE, "--all", "--format", "pdf", "--out", tmp_path)
    assert r.exit_code == 2 and "unknown pdf" in r.stderr


def test_a_failing_account_is_reported_and_the_rest_render(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import deckgen.pipeline as pipeline

    real = pipeline.render_decks

    def flaky(prepared: Any, m: Any, *a: Any, **kw: Any) -> Any:
        if m.account_id == "A-0001":
            raise RuntimeError("disk on fire")
        return real(prepared, m, *a, **kw)

    monkeypatch.setattr(pipeline, "render_decks", flaky)
    r = invoke(
        "batch",
        SAMPLE,
        "--from",
        "2026-12-09",
        "--to",
        "2026-12-10",
        "--as-of",
        AS_OF,
        "--out",
        tmp_path,
        "--format",
        "pptx",
        "--jobs",
        "1",
    )
    assert r.exit_code == 1
    records = {x["account_id"]: x for x in manifest(tmp_path)["accounts"]}
    assert records["A-0001"]["status"] == "error"
    assert "disk on fire" in records["A-0001"]["reasons"][-1]
    assert any(x["status"] == "rendered" and x["files"] for x in records.values())


def test_every_deck_of_the_week_passes_structural_lint(week_run: tuple[Path, Any]) -> None:
    from tests.pptx_lint import lint_pptx

    out, _ = week_run
    decks = list(out.rglob("*.pptx"))
    assert len(decks) >= 10
    for deck in decks:
        assert lint_pptx(deck) == [], deck


def test_unusable_book_exits_2(tmp_path: Path) -> None:
    book = tmp_path / "book"
    book.mkdir()
    (book / "accounts.csv").write_text("account_id,name\nA,Acme\n")
    r = invoke("batch", book, "--all", "--out", tmp_path / "out")
    assert r.exit_code == 2 and "missing required column(s) arr" in r.stderr
