"""Tier routing by ARR band, explicit overrides, cadence, EBR and next QBR."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from deckgen.config import Config, load_config
from deckgen.metrics.engine import minimal_facts
from deckgen.metrics.tiers import cadence_months, is_ebr, next_qbr, next_qbr_for, tier_for

from .conftest import BookFactory, account_table, run


@pytest.mark.parametrize(
    ("arr", "tier"),
    [
        (2_000_000, "strategic"),
        (500_000, "strategic"),
        (499_999.99, "enterprise"),
        (100_000, "enterprise"),
        (99_999, "mid_market"),
        (25_000, "mid_market"),
        (24_999, "smb"),
        (5_000, "smb"),
        (4_999, "tech_touch"),
        (0, "tech_touch"),
        (None, "tech_touch"),
    ],
)
def test_tier_by_arr_band(cfg: Config, arr: float | None, tier: str) -> None:
    assert tier_for(arr, None, cfg) == tier


def test_explicit_tier_overrides_the_band(cfg: Config) -> None:
    assert tier_for(380_000, "strategic", cfg) == "strategic"
    assert tier_for(30_000, "SMB", cfg) == "smb"
    assert tier_for(30_000, "Mid Market", cfg) == "mid_market"
    assert tier_for(30_000, "platinum", cfg) == "mid_market"  # unknown tier: the band decides


def test_bands_come_from_config() -> None:
    cfg = load_config(overrides={"tiers": {"enterprise": 200000}})
    assert tier_for(150_000, None, cfg) == "mid_market"


def test_cadence(cfg: Config) -> None:
    assert cadence_months("strategic", cfg) == 3
    assert cadence_months("mid_market", cfg) == 6
    assert cadence_months("tech_touch", cfg) == 12


def test_ebr_above_threshold_or_at_risk(cfg: Config) -> None:
    assert is_ebr(250_001, "green", cfg)
    assert not is_ebr(250_000, "green", cfg)
    assert is_ebr(40_000, "red", cfg)
    assert not is_ebr(40_000, "yellow", cfg)
    assert not is_ebr(None, None, cfg)


def test_next_qbr(cfg: Config) -> None:
    facts = minimal_facts({"account_id": "A", "name": "A"}, cfg)
    assert next_qbr(facts, cadence=3) is None
    last = replace(facts, last_qbr_date=date(2026, 9, 9))
    assert next_qbr(last, cadence=3) == date(2026, 12, 9)
    both = replace(last, next_qbr_date=date(2026, 12, 1))
    assert next_qbr(both, cadence=3) == date(2026, 12, 1)
    assert next_qbr(last) is None  # no cadence given: unknown


def test_next_qbr_for_uses_the_tier_cadence(make_book: BookFactory) -> None:
    book = make_book(accounts=account_table("A", arr=50_000, last_qbr_date="2026-09-09"))
    (m,) = run(book)
    assert m.tier == "mid_market"
    assert next_qbr_for(m, load_config()) == date(2027, 3, 9)
