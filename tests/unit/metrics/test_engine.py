"""The engine: one result per account, gates and review routing, isolation, speed."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from deckgen.book.gates import Gate
from deckgen.book.load import ROW, Book, load_book
from deckgen.config import Config, load_config
from deckgen.metrics import engine
from deckgen.metrics.engine import compute_metrics, failed_metrics

from .conftest import AS_OF, BookFactory, account_table, run

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "book"


def test_one_result_per_account_in_order(make_book: BookFactory) -> None:
    accounts = account_table("B", "A", "", "B", "C")
    accounts["name"] = ["Beta", "Alpha", "Blank", "Beta again", "Gamma"]
    ms = run(make_book(accounts=accounts))
    assert [m.account_id for m in ms] == ["B", "A", "C"]
    assert ms[0].name == "Beta"  # the first row of a duplicated id
    assert any("appears more than once" in w for w in ms[0].warnings)


def test_account_ids_filter(make_book: BookFactory) -> None:
    ms = run(make_book(accounts=account_table("A", "B", "C")), account_ids=["C", "A", "nope"])
    assert [m.account_id for m in ms] == ["A", "C"]


def test_gates_and_review_routing(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table(
            "OK",
            "RED",
            "HELD",
            "BLOCKED",
            "YOUNG",
            cancellation_intent=["", "true", "true", "", "true"],
            nps=9,
        )
    )
    gates = {
        "HELD": Gate("held", ("qbr_hold is set (escalation hold)",)),
        "BLOCKED": Gate("blocked", ("accounts.csv, row 5: broken",)),
        "YOUNG": Gate("onboarding", ("customer for 10 days (< 60): onboarding-stage variant",)),
    }
    by_id = {m.account_id: m for m in run(book, gates=gates)}
    assert by_id["OK"].status == "ok" and by_id["OK"].reasons == ()
    red = by_id["RED"]
    assert red.status == "review"
    assert red.reasons == (
        "health Red (score 90): route to manager review first",
        "forced Red: formal cancellation intent received",
    )
    assert by_id["HELD"].status == "held"  # a hold is never turned into a review
    assert by_id["BLOCKED"].status == "blocked"
    young = by_id["YOUNG"]
    assert young.status == "review" and young.reasons[0].startswith("customer for 10 days")


def test_period_warning_when_the_quarter_is_not_complete(make_book: BookFactory) -> None:
    (m,) = run(make_book(accounts=account_table("A", next_qbr_date="2027-01-12")))
    assert m.period.quarter == "2026Q3"
    assert any("2026Q4" in w and "not complete" in w for w in m.warnings)
    (o,) = run(make_book(accounts=account_table("A")), quarter="2026Q2")
    assert o.period.quarter == "2026Q2" and o.warnings == ()


def test_one_accounts_failure_does_not_stop_the_others(
    make_book: BookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = engine.compute_value

    def flaky(rows: Any, period: Any, **kw: Any) -> Any:
        if kw["arr"] == 666:
            raise ValueError("bad value row")
        return real(rows, period, **kw)

    monkeypatch.setattr(engine, "compute_value", flaky)
    book = make_book(accounts=account_table("A", "B", "C", arr=[1000, 666, 2000]))
    ms = run(book, gates={"B": Gate("ok", ())})
    assert [m.status for m in ms] == ["ok", "blocked", "ok"]
    assert ms[1].reasons == ("metrics failed: bad value row",)
    assert ms[1].health.score is None and ms[1].value.roi_pct is None


def test_failed_metrics_helper(cfg: Config) -> None:
    m = failed_metrics(
        {"account_id": "X", "name": "Xylo", "arr": 40000.0, "next_qbr_date": date(2026, 12, 9)},
        cfg,
        AS_OF,
        None,
        Gate("ok", ()),
        "metrics failed: boom",
    )
    assert m.status == "blocked" and m.reasons == ("metrics failed: boom",)
    assert m.tier == "mid_market" and m.period.quarter == "2026Q3"
    assert m.value.investment == 10000
    assert m.as_json()["status"] == "blocked"


def test_json_round_trip(make_book: BookFactory) -> None:
    import json

    (m,) = run(make_book(accounts=account_table("A", nps=8)))
    text = json.dumps(m.as_json())
    assert '"account_id": "A"' in text


@pytest.mark.skipif(not (SAMPLE / "accounts.csv").exists(), reason="no sample book")
def test_sample_book_distribution() -> None:
    cfg = load_config()
    book = load_book(SAMPLE, cfg)
    ms = compute_metrics(book, cfg, as_of=AS_OF)
    assert len(ms) == len(book.tables["accounts"])
    assert not any(r.startswith("metrics failed") for m in ms for r in m.reasons)
    bands = {m.health.band for m in ms}
    assert {"green", "yellow", "red"} <= bands
    rois = [m.value.roi_pct for m in ms if m.value.roi_pct is not None]
    assert rois and sum(50 <= r <= 400 for r in rois) / len(rois) > 0.8


# ---------------------------------------------------------------- speed


def synthetic_book(n: int, seed: int = 3) -> Book:
    """A typed book as the loader returns it, generated in memory (no CSV round trip)."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"A{i:05d}" for i in range(n)], dtype=object)
    months = [f"2025-{m:02d}" for m in range(9, 13)] + [f"2026-{m:02d}" for m in range(1, 12)]

    def frame(cols: dict[str, Any]) -> pd.DataFrame:
        df = pd.DataFrame(cols)
        df[ROW] = np.arange(2, len(df) + 2)
        return df

    def boolean(values: np.ndarray) -> pd.Series:
        return pd.Series(values, dtype="boolean")

    tiers = np.array(["strategic", "enterprise", "mid_market", "smb", "tech_touch"], dtype=object)
    arr = rng.choice([800_000.0, 200_000.0, 50_000.0, 10_000.0, 2_000.0], n)
    accounts = frame(
        {
            "account_id": ids,
            "name": ids,
            "arr": arr,
            "tier": pd.Series([None] * n, dtype=object),
            "industry": rng.choice(np.array(["retail", "software", "healthcare"], dtype=object), n),
            "product_type": rng.choice(
                np.array(["collaboration", "analytics", "api_platform"], dtype=object), n
            ),
            "licensed_seats": rng.integers(10, 500, n).astype(float),
            "customer_since": pd.to_datetime("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 1000, n), "D"),
            "renewal_date": pd.to_datetime("2026-12-01")
            + pd.to_timedelta(rng.integers(0, 365, n), "D"),
            "next_qbr_date": pd.to_datetime("2026-12-01")
            + pd.to_timedelta(rng.integers(0, 90, n), "D"),
            "champion_name": ids,
            "sponsor_name": ids,
            "champion_changed": boolean(rng.random(n) < 0.03),
            "sponsor_engaged": boolean(rng.random(n) < 0.8),
            "nps": rng.integers(0, 11, n).astype(float),
            "csat": rng.uniform(1, 5, n),
            "cancellation_intent": boolean(rng.random(n) < 0.01),
            "hourly_rate": rng.choice([np.nan, 80.0, 120.0], n),
        }
    )
    del tiers
    ua = np.repeat(ids, len(months))
    usage = frame(
        {
            "account_id": ua,
            "month": np.tile(np.array(months, dtype=object), n),
            "active_users": rng.integers(5, 400, len(ua)).astype(float),
            "dau": rng.uniform(1, 100, len(ua)),
            "mau": rng.uniform(100, 400, len(ua)),
            "api_calls": rng.integers(0, 100_000, len(ua)).astype(float),
        }
    )
    feats = np.array([f"feat_{k}" for k in range(8)] + ["dashboards", "exports"], dtype=object)
    fa = np.repeat(ids, 6 * 10)
    features = frame(
        {
            "account_id": fa,
            "month": np.tile(np.repeat(np.array(months[-6:], dtype=object), 10), n),
            "feature": np.tile(feats, 6 * n),
            "events": rng.integers(0, 500, len(fa)).astype(float),
        }
    )
    ta = np.repeat(ids, 10)
    opened = pd.to_datetime("2025-12-01") + pd.to_timedelta(rng.integers(0, 360 * 24, len(ta)), "h")
    resolved = opened + pd.to_timedelta(rng.integers(1, 200, len(ta)), "h")
    tickets = frame(
        {
            "account_id": ta,
            "ticket_id": np.array([f"T{i}" for i in range(len(ta))], dtype=object),
            "opened_at": opened,
            "resolved_at": resolved.where(rng.random(len(ta)) > 0.05),
            "priority": rng.choice(np.array(["p1", "p2", "p3", "p4"], dtype=object), len(ta)),
            "csat": rng.integers(1, 6, len(ta)).astype(float),
        }
    )
    pa = np.repeat(ids, 7)
    touchpoints = frame(
        {
            "account_id": pa,
            "date": pd.to_datetime("2026-06-01")
            + pd.to_timedelta(rng.integers(0, 180, len(pa)), "D"),
            "type": rng.choice(np.array(["meeting", "email", "ebr"], dtype=object), len(pa)),
            "completed": boolean(rng.random(len(pa)) < 0.8),
            "exec_present": boolean(rng.random(len(pa)) < 0.3),
        }
    )
    ia = np.repeat(ids, 12)
    inv_date = pd.to_datetime("2025-12-01") + pd.to_timedelta(np.tile(np.arange(12) * 30, n), "D")
    invoices = frame(
        {
            "account_id": ia,
            "invoice_date": inv_date,
            "amount": np.repeat(arr / 12, 12),
            "status": np.array(["paid"] * len(ia), dtype=object),
            "due_date": inv_date + pd.Timedelta(days=30),
        }
    )
    va = np.repeat(ids, 6)
    value = frame(
        {
            "account_id": va,
            "quarter": np.tile(np.array(["2026Q2", "2026Q3"] * 3, dtype=object), n),
            "category": np.tile(
                np.array(
                    ["time_savings"] * 2 + ["cost_reduction"] * 2 + ["quality"] * 2, dtype=object
                ),
                n,
            ),
            "label": np.tile(np.array(list("abcdef"), dtype=object), n),
            "baseline": rng.uniform(1000, 5000, len(va)),
            "current": rng.uniform(0, 1000, len(va)),
            "unit": np.tile(np.array(["hours", "hours", "USD", "USD", "%", "%"], dtype=object), n),
            "quantity": rng.uniform(10, 300, len(va)),
            "value": np.where(rng.random(len(va)) < 0.3, rng.uniform(1000, 20000, len(va)), np.nan),
        }
    )
    ga = np.repeat(ids, 3)
    goals = frame(
        {
            "account_id": ga,
            "goal": np.array(["g"] * len(ga), dtype=object),
            "status": rng.choice(
                np.array(["on_track", "at_risk", "off_track"], dtype=object), len(ga)
            ),
            "quarter": np.array(["2026Q4"] * len(ga), dtype=object),
        }
    )
    actions = frame(
        {
            "account_id": ga,
            "action": np.array(["a"] * len(ga), dtype=object),
            "due_date": pd.to_datetime("2026-10-01")
            + pd.to_timedelta(rng.integers(0, 90, len(ga)), "D"),
            "status": rng.choice(
                np.array(["in progress", "done", "blocked"], dtype=object), len(ga)
            ),
        }
    )
    roadmap = frame(
        {
            "item": np.array([f"item {i}" for i in range(12)], dtype=object),
            "status": np.array(["shipped", "next", "horizon"] * 4, dtype=object),
            "requested_by": np.array([";".join(ids[i : i + 3]) for i in range(12)], dtype=object),
        }
    )
    tables = {
        "accounts": accounts,
        "usage": usage,
        "features": features,
        "tickets": tickets,
        "touchpoints": touchpoints,
        "invoices": invoices,
        "value": value,
        "goals": goals,
        "actions": actions,
        "roadmap": roadmap,
    }
    return Book(tables, {k: f"{k}.csv" for k in tables})


@pytest.mark.slow
def test_5000_accounts_well_under_5_seconds() -> None:
    cfg = load_config()
    book = synthetic_book(5000)
    start = time.process_time()
    ms = compute_metrics(book, cfg, as_of=AS_OF)
    elapsed = time.process_time() - start
    assert len(ms) == 5000
    assert not any(m.reasons and m.reasons[-1].startswith("metrics failed") for m in ms)
    assert elapsed < 5.0, f"metrics for 5,000 accounts took {elapsed:.1f} s of CPU"


def test_a_bad_quarter_override_is_a_config_error(make_book: BookFactory) -> None:
    from deckgen.errors import ConfigError

    with pytest.raises(ConfigError, match="not a quarter"):
        run(make_book(accounts=account_table("A")), quarter="2026Q7")


def test_empty_and_odd_tables_do_not_crash(make_book: BookFactory) -> None:
    book = make_book(
        accounts=account_table("A", "B", licensed_seats=[0, ""], arr=[0, -5]),
        usage={"account_id": [], "month": [], "active_users": []},
        tickets={"account_id": [], "ticket_id": [], "opened_at": []},
        features={"account_id": ["B"], "month": ["2026-13"], "feature": ["x"], "events": [3]},
        value={
            "account_id": ["A", "ghost"],
            "quarter": ["2026Q3", "2026Q3"],
            "category": ["time_savings", "quality"],
            "label": ["a", "b"],
            "quantity": ["abc", "5"],
        },
        goals={"account_id": ["A"], "goal": ["g"]},
        actions={"account_id": ["B"], "action": ["a"]},
        touchpoints={"account_id": ["A"], "date": ["2026-11-01"]},
        invoices={"account_id": ["A"], "invoice_date": ["2026-09-01"], "amount": ["x"]},
        roadmap={"item": ["r"]},
    )
    ms = run(book)
    assert [m.status for m in ms] == ["ok", "ok"]
    a = ms[0]
    assert a.usage.seat_utilisation_pct is None
    assert a.value.items[0].value is None and a.value.roi_pct is None
    assert a.support.tickets_in_quarter == 0 and a.support.volume_trend == "flat"
    assert a.actions == () and ms[1].actions[0].status == "not started"
