"""Deck models built inline for renderer tests and previews: every block and placeholder kind.

`enterprise_deck()` mirrors the 15-slide enterprise QBR (layouts/enterprise.yaml) with realistic
values; `hostile_deck()` carries the strings real exports contain (300-character names, emoji,
CJK, RTL, template syntax, markup) and a table long enough to continue on a second slide.
"""

from __future__ import annotations

from deckgen.model.deck import (
    Cell,
    ChartBlock,
    ChartSpec,
    Deck,
    Kpi,
    KpiBlock,
    Paragraph,
    Placeholder,
    Run,
    ScoreBlock,
    Series,
    Slide,
    Status,
    TableBlock,
    TextBlock,
)

CSM_PRIORITIES = Placeholder("Add the customer's top 3 priorities for this year")
CSM_CHANGES = Placeholder("What changed in their business this quarter (reorg, M&A, new leaders)")
CSM_STORY = Placeholder("Describe the challenge they came to us with")
MISSING_NPS = Placeholder("NPS survey results for Q3 2026", kind="data_missing")
CSM_ASK = Placeholder("One clear ask for the executive sponsor")


def _p(*parts: str | Placeholder, bullet: bool = True, level: int = 0) -> Paragraph:
    runs = tuple(Run("", placeholder=x) if isinstance(x, Placeholder) else Run(x) for x in parts)
    return Paragraph(runs, level=level, bullet=bullet)


def charts() -> dict[str, ChartSpec]:
    quarters = ("Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026")
    return {
        "users": ChartSpec(
            "users",
            "line",
            quarters,
            (
                Series("Active users", (612.0, 655.0, 701.0, 748.0)),
                Series("Licensed seats", (900.0, 900.0, 900.0, 900.0), "reference"),
            ),
            "users",
            "Quarter",
            "Active users",
            "Active users up 22% since Q4 2025; 83% of licensed seats active.",
            "Average monthly active users by quarter: Q4 2025 612, Q1 2026 655, Q2 2026 701, "
            "Q3 2026 748; licensed seats 900.",
        ),
        "features": ChartSpec(
            "features",
            "barh",
            ("Dashboards", "Scheduled reports", "Alerts", "API export", "Data catalog"),
            (Series("Events", (18400.0, 9200.0, 6100.0, 2300.0, 850.0)),),
            "events",
            "Events in the quarter",
            "",
            "9 of 14 features in use (64%); Dashboards leads with 18,400 events.",
            "Top features by events this quarter: Dashboards 18,400, Scheduled reports 9,200, "
            "Alerts 6,100, API export 2,300, Data catalog 850.",
        ),
        "health": ChartSpec(
            "health",
            "barh",
            ("Usage", "Engagement", "Outcomes", "Support", "Relationship"),
            (Series("Score", (82.0, 64.0, 71.0, 90.0, 45.0)),),
            "points",
            "Score (0–100)",
            "",
            "Health 72/100, +6 pts in 30 days; weakest dimension: relationship (45).",
            "Health by dimension (0–100): Usage 82, Engagement 64, Outcomes 71, Support 90, "
            "Relationship 45.",
            point_status=("green", "yellow", "yellow", "green", "red"),
            y_max=100,
        ),
        "value_by_category": ChartSpec(
            "value_by_category",
            "bar",
            ("Time savings", "Cost reduction", "Risk avoidance"),
            (Series("Value", (42000.0, 18000.0, 10000.0)),),
            "USD",
            "Category",
            "Value (USD)",
            "$70K of value in Q3 2026; time savings contributes most ($42K).",
            "Value by category in Q3 2026: Time savings $42K, Cost reduction $18K, "
            "Risk avoidance $10K.",
            value_format="money",
        ),
        "support": ChartSpec(
            "support",
            "bar",
            ("Apr", "May", "Jun", "Jul", "Aug", "Sep"),
            (Series("Tickets", (14.0, 12.0, 15.0, 11.0, 9.0, 8.0)),),
            "tickets",
            "Month",
            "Tickets opened",
            "Ticket volume is declining over six months; median resolution 6.5 h.",
            "Tickets opened per month: Apr 14, May 12, Jun 15, Jul 11, Aug 9, Sep 8.",
        ),
    }


def enterprise_deck(account_name: str = "Acme Logistics", author: str = "Dana Whitfield") -> Deck:
    c = charts()
    s: Status = "green"
    key_metrics = TableBlock(
        ("Metric", "Current", "Trend", "Target", "Status"),
        (
            (
                Cell("Active users"),
                Cell("748"),
                Cell("+22%"),
                Cell("800"),
                Cell("On track", status=s),
            ),
            (
                Cell("Seat utilisation"),
                Cell("83%"),
                Cell("+5 pts"),
                Cell("85%"),
                Cell("On track", status=s),
            ),
            (
                Cell("Quarterly value"),
                Cell("$70K"),
                Cell("+12%"),
                Cell("$75K"),
                Cell("Watch", status="yellow"),
            ),
            (
                Cell("NPS"),
                Cell("", placeholder=MISSING_NPS),
                Cell("–"),
                Cell("40"),
                Cell("No data", status="grey"),
            ),
            (Cell("Open P1 tickets"), Cell("0"), Cell("–"), Cell("0"), Cell("On track", status=s)),
        ),
        caption="Key metrics",
    )
    value_table = TableBlock(
        ("Category", "Value", "Method"),
        (
            (Cell("Time savings"), Cell("$42K"), Cell("560 h × $75/h")),
            (Cell("Cost reduction"), Cell("$18K"), Cell("Retired legacy BI licences")),
            (Cell("Risk avoidance"), Cell("$10K"), Cell("2 incidents avoided × $5K")),
            (
                Cell("Total", bold=True),
                Cell("$70K", bold=True),
                Cell("ROI 280% on $25K", bold=True),
            ),
        ),
    )
    benchmark = TableBlock(
        ("Metric", "You", "Peer median", "Top quartile", "Position"),
        (
            (
                Cell("User adoption"),
                Cell("83%"),
                Cell("64%"),
                Cell("81%"),
                Cell("Top quartile", status="green"),
            ),
            (
                Cell("Feature utilisation"),
                Cell("64%"),
                Cell("58%"),
                Cell("77%"),
                Cell("Above median", status="yellow"),
            ),
            (
                Cell("Median resolution time"),
                Cell("6.5 h"),
                Cell("9.0 h"),
                Cell("5.2 h"),
                Cell("Above median", status="yellow"),
            ),
            (
                Cell("Tickets per month"),
                Cell("8"),
                Cell("11"),
                Cell("6"),
                Cell("Above median", status="yellow"),
            ),
        ),
        caption="Compared with 34 enterprise analytics customers",
    )
    goals = TableBlock(
        ("Goal", "Target", "Actual", "Status"),
        (
            (
                Cell("Roll out to finance team"),
                Cell("120 users"),
                Cell("96 users"),
                Cell("At risk", status="yellow"),
            ),
            (
                Cell("Automate weekly ops report"),
                Cell("By Aug 31"),
                Cell("Done Aug 12"),
                Cell("Complete", status="green"),
            ),
            (
                Cell("Cut manual reporting hours"),
                Cell("−40%"),
                Cell("−52%"),
                Cell("Exceeded", status="green"),
            ),
        ),
    )
    signals = TableBlock(
        ("Signal", "Type", "Evidence", "Status"),
        (
            (
                Cell("Champion changed"),
                Cell("Risk"),
                Cell("VP Ops left in July; new sponsor not yet engaged"),
                Cell("Red", status="red"),
            ),
            (
                Cell("Seats 83% used"),
                Cell("Expansion"),
                Cell("Finance rollout needs ~40 more seats"),
                Cell("Green", status="green"),
            ),
            (
                Cell("Renewal in 75 days"),
                Cell("Risk"),
                Cell("No renewal conversation logged"),
                Cell("Yellow", status="yellow"),
            ),
            (
                Cell("API volume near plan limit"),
                Cell("Expansion"),
                Cell("92% of monthly quota"),
                Cell("Green", status="green"),
            ),
        ),
    )
    actions = TableBlock(
        ("Action", "Owner", "Due", "Status"),
        (
            (
                Cell("Introduce new VP Ops to exec sponsor"),
                Cell("Dana (CSM)"),
                Cell("Oct 15"),
                Cell("Not started", status="grey"),
            ),
            (
                Cell("Finance team training, wave 2"),
                Cell("Acme enablement"),
                Cell("Oct 31"),
                Cell("In progress", status="yellow"),
            ),
            (
                Cell("Renewal proposal with expansion seats"),
                Cell("AE"),
                Cell("Nov 10"),
                Cell("Not started", status="grey"),
            ),
            (Cell("", placeholder=CSM_ASK), Cell("Customer"), Cell("Nov 30"), Cell("")),
        ),
    )
    slides = (
        Slide(
            "title",
            "title",
            "Quarterly Business Review",
            subtitle=f"{account_name} · Q3 2026",
            blocks=(
                TextBlock(
                    (
                        _p("Prepared by Dana Whitfield, Customer Success", bullet=False),
                        _p("October 2026", bullet=False),
                    )
                ),
            ),
            notes="Welcome everyone; confirm the agenda and the time box.",
        ),
        Slide(
            "agenda",
            "content",
            "Agenda",
            blocks=(
                TextBlock(
                    (
                        _p("Opening — 5 min"),
                        _p("Your business context — 10 min"),
                        _p("Value delivered — 15 min"),
                        _p("Strategic discussion — 20 min"),
                        _p("Action planning — 8 min"),
                        _p("Close — 2 min"),
                    )
                ),
            ),
            notes="Keep the strategic discussion protected: it is the point of the meeting.",
        ),
        Slide(
            "executive_summary",
            "two_content",
            "Executive summary",
            blocks=(
                ScoreBlock(
                    "Health score",
                    "72",
                    "yellow",
                    "Improving; strongest on usage and support, weakest on relationship.",
                    delta="+6 pts",
                    direction="up",
                ),
                key_metrics,
                KpiBlock(
                    (
                        Kpi("Quarterly value", "$70K", "+12%", "up", "green", "vs Q2 2026"),
                        Kpi("ROI", "280%", "+40 pts", "up", "green"),
                    )
                ),
                TextBlock(
                    (
                        _p(
                            "Adoption is strong and still growing; the finance rollout is the "
                            "next step."
                        ),
                        _p("Relationship risk: the new VP Ops has not met us yet."),
                    ),
                    heading="Key insight",
                ),
            ),
            notes="Lead with value, then the one risk.",
            placeholders=(MISSING_NPS,),
        ),
        Slide(
            "business_context",
            "content",
            "Your business: priorities this year",
            blocks=(TextBlock((_p(CSM_PRIORITIES, bullet=False),)),),
            placeholders=(CSM_PRIORITIES,),
        ),
        Slide(
            "business_changes",
            "two_content",
            "Your business: what has changed",
            blocks=(
                TextBlock(
                    (
                        _p("Industry: Logistics"),
                        _p("Customer since: March 2023"),
                        _p("Plan: Enterprise, 900 seats"),
                        _p("Renewal: December 15, 2026"),
                    ),
                    heading="Account profile",
                ),
                TextBlock((_p(CSM_CHANGES, bullet=False),)),
            ),
            placeholders=(CSM_CHANGES,),
        ),
        Slide(
            "value_delivered",
            "two_content",
            "Value delivered this quarter",
            blocks=(
                KpiBlock(
                    (
                        Kpi("Value this quarter", "$70K", "+12%", "up", "green"),
                        Kpi("ROI", "280%", "+40 pts", "up", "green"),
                        Kpi("Annualised value", "$280K", None, None, None, "4 × quarterly"),
                    )
                ),
                value_table,
                ChartBlock(c["value_by_category"]),
            ),
        ),
        Slide(
            "value_story",
            "content",
            "Value story",
            blocks=(
                TextBlock(
                    (
                        _p("Challenge: ", CSM_STORY),
                        _p("Baseline: 1,100 hours a quarter of manual reporting across 6 teams."),
                        _p("Adopted: scheduled reports and alerts in operations and finance."),
                        _p(
                            "Improvement: manual reporting down 52% (560 hours saved this quarter)."
                        ),
                        _p("Money: $42K of time saved at $75 an hour."),
                        _p(
                            "Tie to goal: ",
                            Placeholder("Link to their stated 2026 efficiency goal"),
                        ),
                    )
                ),
            ),
            placeholders=(CSM_STORY,),
        ),
        Slide(
            "adoption",
            "two_content",
            "Adoption and engagement",
            blocks=(ChartBlock(c["users"]), ChartBlock(c["features"])),
        ),
        Slide(
            "support",
            "two_content",
            "Support experience",
            blocks=(
                KpiBlock(
                    (
                        Kpi("Tickets this quarter", "28", "−21%", "down", "green"),
                        Kpi("Median resolution", "6.5 h", "−1.2 h", "down", "green"),
                        Kpi("Ticket CSAT", "4.6", "+0.2", "up", "green"),
                        Kpi("Open P1", "0", None, "flat", "green"),
                    )
                ),
                ChartBlock(c["support"]),
            ),
        ),
        Slide(
            "health",
            "two_content",
            "Health indicators",
            blocks=(
                ChartBlock(c["health"]),
                TextBlock(
                    (
                        _p("Relationship (45): new VP Ops not yet engaged; book an intro."),
                        _p("Engagement (64): 2 of 3 planned touchpoints held."),
                        _p("Keep: usage depth and fast support resolution."),
                    ),
                    heading="Focus areas",
                ),
            ),
        ),
        Slide(
            "benchmarks",
            "content",
            "How you compare with peers",
            blocks=(benchmark,),
            subtitle="Enterprise analytics customers, Q3 2026",
        ),
        Slide(
            "strategic_discussion",
            "two_content",
            "Strategic discussion: goals vs actuals",
            blocks=(
                goals,
                TextBlock(
                    (
                        _p("Finance rollout: reach 120 users by Dec 15"),
                        _p("Automate the monthly board pack"),
                        _p(Placeholder("Third goal agreed with the sponsor")),
                    ),
                    heading="Success plan, next quarter",
                ),
            ),
        ),
        Slide(
            "roadmap",
            "two_content",
            "Product roadmap",
            blocks=(
                TextBlock(
                    (
                        _p("Row-level security for shared dashboards"),
                        _p("Scheduled report bursting (your request #4312)"),
                        _p("Faster CSV export"),
                    ),
                    heading="Shipped this quarter",
                ),
                TextBlock(
                    (
                        _p("Natural-language questions (beta, Q4)"),
                        _p("Snowflake live connection (Q1 2027)"),
                        _p("Your request: SSO group sync — planned Q1 2027"),
                    ),
                    heading="Coming next",
                ),
            ),
        ),
        Slide("risks_opportunities", "content", "Risks and opportunities", blocks=(signals,)),
        Slide(
            "next_steps",
            "content",
            "Action items and next steps",
            blocks=(actions, TextBlock((_p("Next QBR: January 21, 2027", bullet=False),))),
        ),
    )
    return Deck(
        kind="enterprise",
        account_id="ACME-001",
        account_name=account_name,
        title=f"{account_name} — Quarterly Business Review Q3 2026",
        author=author,
        quarter="Q3 2026",
        slides=slides,
        subject="QBR Q3 2026",
        keywords=("QBR", "Q3 2026", account_name),
    )


LONG_NAME = (
    "Internationale Handels- und Logistikgesellschaft für Grenzüberschreitende "
    "Spedition, Lagerhaltung und Kontraktlogistik mit beschränkter Haftung & Co. "
    "Kommanditgesellschaft auf Aktien, Niederlassung Süd-West, Abteilung Digitale "
    "Transformation und Prozessautomatisierung (Konzernbereich Europa, Region Mitte) 🚚"
)
HOSTILE = {
    "emoji": "Growth 🚀📈 with 🤝 partners",
    "cjk": "株式会社テスト物流 — 中文客户名称 — 한국 고객",
    "rtl": "شركة الشحن العربية — חברת הובלה",
    "template": "{{ x }} and {% if y %}",
    "markup": "<script>alert(1)</script> & <b>bold</b>",
}


def hostile_deck() -> Deck:
    rows = tuple(
        (
            Cell(f"Action {i + 1}: follow up on item {i + 1} with the operations team"),
            Cell("Owner " + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i % 26]),
            Cell(f"{(i * 7) % 28 + 1} Nov"),
            Cell("In progress" if i % 3 else "Blocked", status="yellow" if i % 3 else "red"),
        )
        for i in range(34)
    )
    long_table = TableBlock(("Action", "Owner", "Due", "Status"), rows, caption="All actions")
    text = TextBlock(tuple(_p(v) for v in HOSTILE.values()), heading="Strings from exports")
    slides = (
        Slide("title", "title", LONG_NAME, subtitle=LONG_NAME),
        Slide("strings", "content", f"Account: {LONG_NAME}", blocks=(text,)),
        Slide(
            "kpis",
            "kpis_content",
            HOSTILE["template"],
            blocks=(
                KpiBlock(
                    (
                        Kpi(HOSTILE["cjk"], "¥12,345,678", "+3%", "up"),
                        Kpi(HOSTILE["rtl"], "٣٤٥", "−2%", "down", "red"),
                        Kpi("Emoji 🚀", HOSTILE["markup"], None, "flat"),
                    )
                ),
                TableBlock(
                    ("Name", "Value"),
                    (
                        (Cell(HOSTILE["markup"]), Cell("1,234")),
                        (Cell(HOSTILE["template"]), Cell("56%")),
                        (Cell(LONG_NAME), Cell("$7.8M")),
                    ),
                ),
            ),
        ),
        Slide("section", "section", "Appendix", subtitle="Details and data sources"),
        Slide("actions", "content", "All action items", blocks=(long_table,)),
        Slide(
            "story",
            "content",
            "A very long story",
            blocks=(
                TextBlock(
                    tuple(
                        _p(
                            f"Paragraph {i}: "
                            + "The rollout continued across the regional depots " * 4,
                            Placeholder(f"Check paragraph {i}") if i in (3, 17) else "",
                        )
                        for i in range(20)
                    )
                ),
            ),
        ),
    )
    return Deck(
        kind="enterprise",
        account_id="HOST-1",
        account_name=LONG_NAME,
        title=f"{LONG_NAME} QBR",
        author="Zoë Ångström-Łukasiewicz",
        quarter="Q3 2026",
        slides=slides,
        keywords=("QBR",),
    )
