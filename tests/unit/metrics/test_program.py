"""The CS Ops program view: ARR at risk per currency, and the same by CSM and by tier."""

from __future__ import annotations

from deckgen.config import Config
from deckgen.metrics.program import program_view

from .conftest import AS_OF, BookFactory, account_table, run


def test_at_risk_arr_is_kept_per_currency_and_grouped_by_csm_and_tier(
    make_book: BookFactory, cfg: Config
) -> None:
    book = make_book(
        accounts=account_table(
            "USD-RED",
            "EUR-RED",
            "USD-OK",
            "GBP-RED",
            arr=[100000, 50000, 70000, 20000],
            currency=["USD", "EUR", "USD", "GBP"],
            csm_name=["Ana Ruiz", "Ana Ruiz", "", "Bo Chen"],
            cancellation_intent=["true", "true", "", "true"],  # forces Red
            nps=9,
        )
    )
    metrics = run(book)
    bands = {m.account_id: m.health.band for m in metrics}
    assert [i for i, band in bands.items() if band == "red"] == ["USD-RED", "EUR-RED", "GBP-RED"]
    view = program_view(metrics, cfg, AS_OF)

    assert view.at_risk_accounts == 3
    assert view.at_risk_arr_by_currency == {"USD": 100000.0, "EUR": 50000.0, "GBP": 20000.0}
    assert list(view.at_risk_arr_by_currency) == ["USD", "EUR", "GBP"]  # largest first

    by_csm = {g.name: g for g in view.by_csm}
    assert [g.name for g in view.by_csm] == ["Ana Ruiz", "Bo Chen", "no CSM"]  # most Red first
    assert by_csm["Ana Ruiz"].accounts == 2
    assert by_csm["Ana Ruiz"].health_distribution["red"] == 2
    assert by_csm["Ana Ruiz"].at_risk_arr_by_currency == {"USD": 100000.0, "EUR": 50000.0}
    assert by_csm["no CSM"].at_risk_arr_by_currency == {}
    assert sum(g.accounts for g in view.by_tier) == 4
    assert sum(g.health_distribution["red"] for g in view.by_tier) == 3
