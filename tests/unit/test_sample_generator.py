"""samples/generate.py: a deterministic sample book with the edge cases samples/README.md lists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "samples" / "generate.py"
README = ROOT / "samples" / "README.md"
COMMITTED = ROOT / "samples" / "book"
TABLES = (
    "accounts",
    "usage",
    "features",
    "feature_catalog",
    "tickets",
    "invoices",
    "value",
    "goals",
    "actions",
    "roadmap",
    "touchpoints",
)
MONTHS = [str(p) for p in pd.period_range("2025-09", "2026-11", freq="M")]


def _run(out: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def book_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("book")
    _run(out, "--seed", "7")
    return out


@pytest.fixture(scope="module")
def t(book_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_csv(book_dir / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in TABLES
    }


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace("", None))


def _band(arr: float) -> str:
    for tier, lo in (
        ("strategic", 500_000),
        ("enterprise", 100_000),
        ("mid_market", 25_000),
        ("smb", 5_000),
    ):
        if arr >= lo:
            return tier
    return "tech_touch"


def _acct(t: dict[str, pd.DataFrame], account_id: str) -> pd.Series:
    rows = t["accounts"][t["accounts"]["account_id"] == account_id]
    assert len(rows) == 1, account_id
    return rows.iloc[0]


def test_two_runs_are_byte_identical(book_dir: Path, tmp_path: Path) -> None:
    _run(tmp_path)  # default seed
    names = sorted(p.name for p in book_dir.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (book_dir / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_committed_book_is_current(book_dir: Path) -> None:
    if not COMMITTED.is_dir():
        pytest.skip("samples/book not generated")
    for name in TABLES:
        committed = (COMMITTED / f"{name}.csv").read_bytes()
        assert committed == (book_dir / f"{name}.csv").read_bytes(), (
            f"samples/book/{name}.csv is stale: run `python samples/generate.py`"
        )


def test_every_table_present_and_small(book_dir: Path, t: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        assert (book_dir / f"{name}.csv").is_file(), name
        assert len(t[name]) > 0, name
    assert not (book_dir / "events.parquet").exists()
    assert sum(p.stat().st_size for p in book_dir.iterdir()) < 2_000_000
    for p in book_dir.iterdir():
        assert b"\r\n" not in p.read_bytes(), p.name


def test_accounts_tiers_and_ids(t: dict[str, pd.DataFrame]) -> None:
    acc = t["accounts"]
    assert len(acc) >= 60
    assert acc["account_id"].is_unique
    assert "007" in set(acc["account_id"])
    bands = _num(acc["arr"]).map(_band)
    assert set(bands) == {"strategic", "enterprise", "mid_market", "smb", "tech_touch"}
    assert set(acc["product_type"]) == {
        "project_management",
        "analytics",
        "api_platform",
        "sales_enablement",
        "customer_support",
        "collaboration",
    }
    assert set(acc["currency"]) >= {"USD", "EUR", "GBP"}
    emails = pd.concat([acc["csm_email"], acc["champion_email"]])
    assert emails.str.fullmatch(r"[a-z0-9.]+@example\.(com|org)").all()
    known = set(acc["account_id"])
    for other in (
        "usage",
        "features",
        "tickets",
        "invoices",
        "value",
        "goals",
        "actions",
        "touchpoints",
    ):
        assert set(t[other]["account_id"]) <= known, other
    requested = {i for cell in t["roadmap"]["requested_by"] if cell for i in cell.split(";")}
    assert requested <= known


def test_mature_accounts_have_15_months_of_usage(t: dict[str, pd.DataFrame]) -> None:
    acc, usage = t["accounts"], t["usage"]
    assert sorted(usage["month"].unique()) == MONTHS
    mature = acc.loc[acc["customer_since"] <= "2025-09-01", "account_id"]
    assert len(mature) >= 50
    months = usage.groupby("account_id")["month"].apply(list)
    for acct in mature:
        assert months[acct] == MONTHS, acct
    young = acc.loc[acc["customer_since"] > "2025-09-01"]
    for _, row in young.iterrows():
        assert min(months[row["account_id"]]) == row["customer_since"][:7]


def test_week_50_accounts(t: dict[str, pd.DataFrame]) -> None:
    nxt = t["accounts"]["next_qbr_date"]
    w50 = nxt[(nxt >= "2026-12-07") & (nxt <= "2026-12-13")]
    assert len(w50) >= 8
    assert all(pd.Timestamp(d).isocalendar()[:2] == (2026, 50) for d in w50)
    dated = nxt[nxt != ""]
    assert dated.min() >= "2026-12-01" and dated.max() <= "2027-03-31"
    assert (nxt == "").sum() >= 3


def test_readme_edge_case_accounts_exist(t: dict[str, pd.DataFrame]) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Edge cases", 1)[1]
    ids = re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)
    assert len(ids) >= 25
    assert set(ids) <= set(t["accounts"]["account_id"])


def test_edge_case_properties(t: dict[str, pd.DataFrame]) -> None:
    acc, usage, tickets, invoices = t["accounts"], t["usage"], t["tickets"], t["invoices"]
    flag = {
        c: acc.loc[acc[c] == "true", "account_id"].tolist()
        for c in ("qbr_hold", "cancellation_intent", "champion_changed")
    }
    assert flag["qbr_hold"] == ["A-0002"]
    assert flag["cancellation_intent"] == ["A-0005"]
    assert flag["champion_changed"] == ["A-0017", "A-0018", "A-0019"]

    # zero active users with other activity
    u4 = usage[usage["account_id"] == "A-0004"].set_index("month")
    assert (_num(u4.loc[["2026-10", "2026-11"], "active_users"]) == 0).all()
    f4 = t["features"][
        (t["features"]["account_id"] == "A-0004") & (t["features"]["month"] == "2026-11")
    ]
    assert _num(f4["events"]).sum() > 0
    assert (tickets.loc[tickets["account_id"] == "A-0004", "opened_at"] >= "2026-11").any()

    # open P1 older than 5 business days
    p1 = tickets[(tickets["priority"] == "p1") & (tickets["resolved_at"] == "")]
    old = p1[p1["opened_at"] < "2026-11-20"]
    assert old["account_id"].tolist() == ["A-0003"]

    # ticket spike in the last month
    spike = tickets[tickets["account_id"] == "A-0006"]["opened_at"].str[:7].value_counts()
    assert spike["2026-11"] >= 3 * spike.drop("2026-11").max()

    # payment overdue > 30 days
    unpaid = invoices["status"].isin(["failed", "open"])
    bad = invoices[unpaid & (invoices["due_date"] < "2026-10-29")]
    assert bad["account_id"].tolist() == ["A-0009"]

    # billed revenue down > 20% from 2026Q2 to 2026Q3
    inv = invoices[invoices["account_id"] == "A-0013"].copy()
    inv["q"] = pd.PeriodIndex(pd.to_datetime(inv["invoice_date"]), freq="Q").astype(str)
    sums = _num(inv["amount"]).groupby(inv["q"]).sum()
    assert sums["2026Q3"] < 0.8 * sums["2026Q2"]

    # onboarding (< 60 days), tier overrides, boundary ARR
    onboarding = acc.loc[acc["customer_since"] > "2026-09-29", "account_id"].tolist()
    assert onboarding == ["A-0010", "A-0011", "A-0012"]
    assert _acct(t, "A-0014")["tier"] == "strategic"
    assert _band(float(_acct(t, "A-0014")["arr"])) == "enterprise"
    assert _acct(t, "A-0015")["tier"] == "smb"
    assert _acct(t, "A-0016")["arr"] == "100000"
    assert _acct(t, "007")["name"] == "Bond Street Analytics"

    # value: none at all / a missing middle quarter
    value = t["value"]
    assert "A-0025" not in set(value["account_id"])
    quarters = set(value.loc[value["account_id"] == "A-0026", "quarter"])
    assert {"2026Q1", "2026Q3"} <= quarters and "2026Q2" not in quarters

    # usage shapes
    last = usage[usage["month"] == "2026-11"].set_index("account_id")
    earlier = usage[usage["month"] == "2026-07"].set_index("account_id")
    seats = _num(acc.set_index("account_id")["licensed_seats"])
    active = _num(last["active_users"])
    for acct in ("A-0005", "A-0020", "A-0021"):
        assert active[acct] < 0.7 * _num(earlier["active_users"])[acct], acct
    assert active["A-0022"] < 0.2 * seats["A-0022"]
    assert active["A-0023"] > seats["A-0023"]
    breadth = t["features"][t["features"]["account_id"] == "A-0024"]["feature"].nunique()
    assert breadth == 2
    a28 = _acct(t, "A-0028")
    assert a28["next_qbr_date"] == "" and a28["last_qbr_date"] != ""

    # booleans exercise both spellings
    assert {"true", "false", "yes", "no"} <= set(t["touchpoints"]["completed"])


def test_large_book_runs(tmp_path: Path) -> None:
    _run(tmp_path, "--accounts", "300", "--seed", "3")
    acc = pd.read_csv(tmp_path / "accounts.csv", dtype=str, keep_default_na=False)
    assert len(acc) == 300 and acc["account_id"].is_unique
