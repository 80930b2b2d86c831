"""Properties of the health score over arbitrary inputs (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from deckgen.config import load_config
from deckgen.metrics.health import compute_health, health_score
from deckgen.metrics.inputs import HealthInputs

CFG = load_config()
GREEN = CFG.get("health.bands.green")
YELLOW = CFG.get("health.bands.yellow")

counts = st.integers(min_value=0, max_value=500)
maybe_bool = st.none() | st.booleans()


def _num(lo: float, hi: float) -> st.SearchStrategy[float | None]:
    return st.none() | st.floats(min_value=lo, max_value=hi, allow_nan=False)


@st.composite
def health_inputs(draw: st.DrawFn) -> HealthInputs:
    total = draw(counts)
    reviews = draw(counts)
    goals = draw(counts)
    return HealthInputs(
        licensed_seats=draw(_num(0, 1e6)),
        active_users=draw(_num(0, 2e6)),
        dau=draw(_num(0, 1e6)),
        mau=draw(_num(0, 1e6)),
        users_change_90d_pct=draw(_num(-100, 1e4)),
        features_used=draw(st.none() | counts),
        features_available=draw(st.none() | counts),
        touchpoints_total=total,
        touchpoints_completed=draw(st.integers(min_value=0, max_value=total)),
        exec_days=draw(_num(0, 5000)),
        exec_recorded=draw(st.booleans()),
        reviews_total=reviews,
        reviews_with_exec=draw(st.integers(min_value=0, max_value=reviews)),
        goals_total=goals,
        goals_on_track=draw(st.integers(min_value=0, max_value=goals)),
        nps=draw(_num(0, 10)),
        csat=draw(_num(1, 5)),
        tickets_present=draw(st.booleans()),
        critical_overdue=draw(st.sampled_from([(), (("T-1", 9),)])),
        ticket_csat=draw(_num(1, 5)),
        tickets_30d=draw(counts),
        tickets_prev_30d=draw(counts),
        tickets_window=draw(counts),
        tickets_prev_window=draw(counts),
        champion_named=draw(st.booleans()),
        champion_changed=draw(maybe_bool),
        sponsor_named=draw(st.booleans()),
        sponsor_engaged=draw(maybe_bool),
        cancellation_intent=draw(maybe_bool),
        overdue_invoice=draw(st.none() | st.just(("2026-09-01", 100.0, 45))),
    )


@settings(max_examples=300, deadline=None)
@given(health_inputs(), st.none() | st.integers(min_value=0, max_value=100))
def test_score_is_within_0_and_100_and_band_follows_thresholds(
    inp: HealthInputs, previous: int | None
) -> None:
    h = compute_health(inp, CFG, previous=previous)
    if h.score is None:
        assert h.computed_band is None
        assert set(h.missing) == {"usage", "engagement", "outcomes", "support", "relationship"}
    else:
        assert 0 <= h.score <= 100
        expected = "green" if h.score >= GREEN else "yellow" if h.score >= YELLOW else "red"
        assert h.computed_band == expected
    if h.overrides:
        assert h.band == "red"
    else:
        assert h.band == h.computed_band
    for dim in h.dimensions.values():
        assert dim.score is None or 0 <= dim.score <= 100
        assert all(p is None or 0 <= p <= 100 for p in dim.parts.values())
    weights = [d.effective_weight for d in h.dimensions.values() if d.score is not None]
    if weights:
        assert abs(sum(weights) - 1.0) < 1e-9
    assert health_score(inp, CFG) == h.score
    if h.score is not None and previous is not None:
        assert h.trend.change == h.score - previous
        assert h.trend.direction is not None


@settings(max_examples=100, deadline=None)
@given(health_inputs())
def test_a_dimension_without_data_never_counts_as_zero(inp: HealthInputs) -> None:
    h = compute_health(inp, CFG)
    for name in h.missing:
        assert h.dimensions[name].effective_weight == 0
        assert h.dimensions[name].note.startswith("no data")
