"""Each fault of the validation contract, seeded into a tiny book, is named specifically."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from deckgen.book.load import load_book
from deckgen.book.validate import validate
from deckgen.config import load_config
from tests.bookfactory import account, simple_book, usage_rows, write_table

AS_OF = date(2026, 11, 28)


def run(folder: Path, **overrides: object):  # type: ignore[no-untyped-def]
    cfg = load_config(overrides=overrides or None)
    return validate(load_book(folder, cfg), cfg, AS_OF)


def codes(report, account_id: str | None = None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings if account_id is None or f.account_id == account_id}


def test_clean_book_has_no_problems(tmp_path: Path) -> None:
    report = run(simple_book(tmp_path))
    assert report.usable
    assert {g.status for g in report.gates.values()} == {"ok"}
    assert not [f for f in report.findings if f.level in ("block", "warning")]


def test_broken_accounts_are_blocked_and_others_go_on(tmp_path: Path) -> None:
    simple_book(
        tmp_path,
        [
            account("A", "Good"),
            account("B", ""),
            account("C", "Neg", arr="-10"),
            account("D", "Seats", licensed_seats="-3"),
            account("E", "Dup1"),
            account("E", "Dup2"),
        ],
    )
    report = run(tmp_path)
    assert report.gates["A"].status == "ok"
    for acct in "BCDE":
        assert report.gates[acct].status == "blocked", acct
    assert "blank_name" in codes(report, "B")
    neg = next(f for f in report.findings if f.account_id == "C" and f.column == "arr")
    assert "expected a value >= 0" in neg.message and neg.row == 4
    dup = next(f for f in report.findings if f.code == "duplicate_account_id")
    assert "rows 6, 7" in dup.message


def test_unknown_account_rows_get_did_you_mean(tmp_path: Path) -> None:
    simple_book(tmp_path, [account("ACME-01", "Acme")])
    write_table(
        tmp_path,
        "usage",
        usage_rows("acme-01 ", ["2026-10"], [4]) + usage_rows("ZZZ", ["2026-10"], [1]),
    )
    report = run(tmp_path)
    unknown = [f for f in report.findings if f.code == "unknown_account"]
    assert any("did you mean 'ACME-01'" in f.message for f in unknown)
    assert any("'ZZZ'" in f.message and "did you mean" not in f.message for f in unknown)
    assert all(f.file == "usage.csv" and f.row for f in unknown)


def test_duplicate_rows_are_reported(tmp_path: Path) -> None:
    simple_book(tmp_path)
    write_table(tmp_path, "usage", usage_rows("A-001", ["2026-10", "2026-10"], [4, 4]))
    report = run(tmp_path)
    dup = next(f for f in report.findings if f.code == "duplicate_row")
    assert dup.file == "usage.csv" and dup.row == 3


def test_zero_active_users_with_other_activity_blocks(tmp_path: Path) -> None:
    simple_book(tmp_path)
    write_table(tmp_path, "usage", usage_rows("A-001", ["2026-09", "2026-10"], [12, 0]))
    write_table(
        tmp_path,
        "features",
        [{"account_id": "A-001", "month": "2026-10", "feature": "reports", "events": 40}],
    )
    report = run(tmp_path)
    assert report.gates["A-001"].status == "blocked"
    f = next(f for f in report.findings if f.code == "zero_users_with_activity")
    assert "40 feature events" in f.message and "account-ID mismatch" in f.message


def test_mrr_drop_is_flagged_as_possible_data_error(tmp_path: Path) -> None:
    simple_book(tmp_path)
    rows = [
        {"account_id": "A-001", "invoice_date": d, "amount": a, "status": "paid"}
        for d, a in (("2026-04-01", 30000), ("2026-07-01", 12000), ("2026-10-01", 30000))
    ]
    write_table(tmp_path, "invoices", rows)
    report = run(tmp_path)
    f = next(f for f in report.findings if f.code == "mrr_drop")
    assert f.account_id == "A-001" and "60%" in f.message and "data error" in f.message
    assert report.gates["A-001"].status == "ok"


def test_feature_drift_alert(tmp_path: Path) -> None:
    simple_book(tmp_path)
    write_table(
        tmp_path,
        "features",
        [{"account_id": "A-001", "month": "2026-10", "feature": "reports", "events": 3}],
    )
    report = run(tmp_path, validation={"expected_features": ["reports", "dashboards"]})
    drift = [f for f in report.findings if f.code == "feature_drift"]
    assert len(drift) == 1 and "'dashboards'" in drift[0].message


def test_event_drift_alert(tmp_path: Path) -> None:
    simple_book(tmp_path)
    write_table(
        tmp_path,
        "events",
        [
            {
                "account_id": "A-001",
                "user_id": "u1",
                "event": "login",
                "timestamp": "2026-10-01T00:00:00",
            }
        ],
    )
    report = run(tmp_path, validation={"expected_events": ["login", "report_exported"]})
    drift = [f for f in report.findings if f.code == "event_drift"]
    assert [("report_exported" in f.message) for f in drift] == [True]


def test_hold_and_onboarding_gates(tmp_path: Path) -> None:
    simple_book(
        tmp_path,
        [
            account("H", "Held", qbr_hold="yes"),
            account("N", "New", customer_since="2026-10-20"),
            account("O", "Old"),
        ],
    )
    report = run(tmp_path)
    assert report.gates["H"].status == "held"
    assert report.gates["N"].status == "onboarding"
    assert "39 days" in report.gates["N"].reasons[0]
    assert report.gates["O"].status == "ok"
