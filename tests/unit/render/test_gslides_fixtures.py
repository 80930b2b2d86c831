"""Small fixed decks and Google API mock helpers shared by the test_gslides_* modules.

The decks are built inline (not through the metrics pipeline) so the golden plans change only
when the Slides renderer changes, not when a narrative template or a metric does; a separate
test runs pipeline-built decks through the schema validator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from googleapiclient.http import HttpMockSequence

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
    TableBlock,
    TextBlock,
)
from deckgen.render.gslides_requests import Plan, fake_results

Q = ("Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026")
ASK = Placeholder("One clear ask for the executive sponsor")
PRIORITIES = Placeholder("Add the customer's top 3 priorities")
NPS = Placeholder("NPS survey results for Q3 2026", kind="data_missing")


def _p(*parts: str | Placeholder, bullet: bool = True, level: int = 0) -> Paragraph:
    runs = tuple(Run("", placeholder=x) if isinstance(x, Placeholder) else Run(x) for x in parts)
    return Paragraph(runs, level=level, bullet=bullet)


def users_chart() -> ChartSpec:
    return ChartSpec(
        "users",
        "line",
        Q,
        (
            Series("Active users", (612.0, 655.0, 701.0, 748.0)),
            Series("Licensed seats", (900.0, 900.0, 900.0, 900.0), "reference"),
        ),
        "users",
        "Quarter",
        "Active users",
        "Active users up 22% since Q4 2025; 83% of seats active.",
        "Active users by quarter: 612, 655, 701, 748; licensed seats 900.",
    )


def value_chart() -> ChartSpec:
    return ChartSpec(
        "value_trend",
        "bar",
        Q,
        (Series("Value", (41000.0, 52000.0, 61000.0, 70000.0)),),
        "USD",
        "Quarter",
        "Value (USD)",
        "$70K of value in Q3 2026, up 35% on Q2.",
        "Value delivered by quarter: $41K, $52K, $61K, $70K.",
        value_format="money",
    )


def executive_deck(name: str = "Northwind Traders", account_id: str = "A-001") -> Deck:
    """Five slides shaped like layouts/executive.yaml."""
    slides = (
        Slide(
            "executive_summary",
            "two_content",
            "Executive summary",
            (
                ScoreBlock(
                    "Health score",
                    "78",
                    "green",
                    "Strong usage; one open critical ticket",
                    "+6 pts",
                    "up",
                ),
                TextBlock(
                    (_p(f"{name} saved 1,240 hours this quarter"), _p(PRIORITIES)),
                    heading="Highlights",
                ),
            ),
            notes="Open with the outcome, then the score.",
        ),
        Slide(
            "outcomes",
            "two_content",
            "Business outcomes delivered",
            (
                KpiBlock(
                    (
                        Kpi("Value delivered", "$70K", "+35%", "up", "green"),
                        Kpi("Hours saved", "1,240", "+18%", "up"),
                        Kpi("NPS", "—", note="no survey"),
                    )
                ),
                ChartBlock(value_chart()),
            ),
            notes="Value is estimated from hours saved.",
        ),
        Slide(
            "alignment",
            "content",
            "Strategic alignment with your priorities",
            (
                TableBlock(
                    ("Priority", "What we did", "Status"),
                    (
                        (
                            Cell("Faster month-end close"),
                            Cell("Scheduled reports rolled out"),
                            Cell("On track", status="green"),
                        ),
                        (Cell("", placeholder=PRIORITIES), Cell("—"), Cell("—")),
                    ),
                    caption="From the success plan",
                    widths=(0.35, 0.45, 0.2),
                ),
            ),
            notes="",
            placeholders=(PRIORITIES,),
        ),
        Slide(
            "next_quarter",
            "content",
            "Next-quarter plan",
            (
                TextBlock(
                    (
                        _p("Roll out alerts to the finance team"),
                        _p("Quarterly exec sync", level=1),
                        _p(NPS),
                    )
                ),
            ),
            notes="Agree owners.",
            placeholders=(NPS,),
        ),
        Slide(
            "the_ask",
            "content",
            "Discussion: one clear ask",
            (TextBlock((_p(ASK, bullet=False),)),),
            notes="Stop talking after the ask.",
            placeholders=(ASK,),
        ),
    )
    return Deck(
        "executive",
        account_id,
        name,
        f"{name} — Executive Business Review Q3 2026",
        "Dana Whitfield",
        "2026Q3",
        slides,
    )


def enterprise_deck(name: str = "Northwind Traders", account_id: str = "A-001") -> Deck:
    """A reduced enterprise QBR: every layout role and block kind, and a table that continues."""
    actions = tuple(
        (
            Cell(f"Action {i}: follow up on item {i} with the team"),
            Cell("Dana"),
            Cell(f"2026-11-{i:02d}", align="right"),
            Cell("Open", status="yellow" if i % 2 else "green"),
        )
        for i in range(1, 19)
    )
    slides = (
        Slide(
            "title",
            "title",
            "Quarterly Business Review",
            (
                TextBlock(
                    (
                        _p("Q3 2026 review · 9 December 2026", bullet=False),
                        _p("Prepared by Dana Whitfield", bullet=False),
                    )
                ),
            ),
            subtitle=f"{name} · Q3 2026",
            notes="Welcome everyone.",
        ),
        Slide(
            "agenda",
            "content",
            "Agenda",
            (
                TableBlock(
                    ("Start", "Topic", "Time"),
                    (
                        (
                            Cell("0:00"),
                            Cell("Opening and objectives"),
                            Cell("5 min", align="right"),
                        ),
                        (Cell("0:05"), Cell("Value review"), Cell("15 min", align="right")),
                    ),
                    caption="20 minutes",
                    widths=(0.15, 0.65, 0.2),
                ),
            ),
            notes="Confirm the agenda.",
        ),
        Slide("section", "section", "Value delivered", notes="Transition."),
        Slide(
            "value_delivered",
            "kpis_content",
            "Value delivered this quarter",
            (
                KpiBlock(
                    (
                        Kpi("Value", "$70K", "+35%", "up", "green"),
                        Kpi("Hours saved", "1,240", "+18%", "up"),
                        Kpi("Tickets", "8", "-3", "down", "green"),
                        Kpi("CSAT", "4.6", None, None, "yellow"),
                    )
                ),
                ChartBlock(value_chart()),
            ),
            notes="Walk through the value.",
        ),
        Slide(
            "adoption",
            "two_content",
            "Adoption and engagement",
            (
                ChartBlock(users_chart()),
                TextBlock(
                    (_p("83% of seats active"), _p("Dashboards lead usage")),
                    heading="What it means",
                ),
            ),
            notes="Adoption story.",
        ),
        Slide(
            "next_steps",
            "content",
            "Action items and next steps",
            (TableBlock(("Action", "Owner", "Due", "Status"), actions),),
            notes="Agree owners and dates.",
        ),
    )
    return Deck(
        "enterprise",
        account_id,
        name,
        f"{name} — Quarterly Business Review Q3 2026",
        "Dana Whitfield",
        "2026Q3",
        slides,
    )


HOSTILE_NAMES = (
    "{{arr}}",
    '"}]}',
    "<script>alert(1)</script>",
    "Acme\nCorp",
    '{"$ref": ["create", "id"]}',
)


# --------------------------------------------------------------------------- mock responses

Response = tuple[dict[str, str], str]


def ok(body: Any = None, status: int = 200) -> Response:
    return {"status": str(status)}, json.dumps(body if body is not None else {})


def error(status: int, reason: str = "", message: str = "", **headers: str) -> Response:
    body = {
        "error": {
            "code": status,
            "message": message or f"error {status}",
            "errors": [{"reason": reason}] if reason else [],
            "status": {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}.get(
                status, "FAILED_PRECONDITION"
            ),
        }
    }
    return {"status": str(status), **headers}, json.dumps(body)


def deck_file(
    plan: Plan, file_id: str = "pres-1", stage: str = "in_progress", input_hash: str | None = None
) -> dict[str, Any]:
    return {
        "id": file_id,
        "name": plan.title,
        "webViewLink": f"https://docs.google.com/presentation/d/{file_id}/edit",
        "appProperties": {
            "deckgen_key": plan.deck_key,
            "deckgen_role": "deck",
            "deckgen_stage": stage,
            "deckgen_input": input_hash or plan.input_hash,
        },
    }


def inspect_body(plan: Plan, *, applied: bool = False) -> dict[str, Any]:
    body = dict(fake_results(plan)["inspect"])
    body["revisionId"] = "rev-1"
    body["pageSize"] = {
        "width": {"magnitude": 12192000, "unit": "EMU"},
        "height": {"magnitude": 6858000, "unit": "EMU"},
    }
    if applied:
        ids = [
            r["createSlide"]["objectId"]
            for r in plan.call("content")["body"]["requests"]
            if "createSlide" in r
        ]
        body["slides"] = [{"objectId": i} for i in ids]
    return body


def notes_body(plan: Plan, *, written: bool = False) -> dict[str, Any]:
    body = dict(fake_results(plan)["read_notes"])
    body["revisionId"] = "rev-2"
    if written:
        for s in body["slides"]:
            nid = s["slideProperties"]["notesPage"]["notesProperties"]["speakerNotesObjectId"]
            s["slideProperties"]["notesPage"]["pageElements"] = [
                {
                    "objectId": nid,
                    "shape": {
                        "text": {"textElements": [{"textRun": {"content": "earlier notes\n"}}]}
                    },
                }
            ]
    return body


def upload_responses(plan: Plan) -> list[Response]:
    out: list[Response] = []
    for key in plan.charts:
        fid = f"img-{key}"
        out.append(
            ok(
                {
                    "id": fid,
                    "webContentLink": f"https://drive.google.com/uc?id={fid}&export=download",
                }
            )
        )
        out.append(ok({"id": "anyoneWithLink"}))
    return out


def cleanup_responses(plan: Plan) -> list[Response]:
    out: list[Response] = []
    for _ in plan.charts:
        out.append(({"status": "204"}, ""))
        out.append(({"status": "204"}, ""))
    return out


def tail_responses(plan: Plan, file_id: str = "pres-1") -> list[Response]:
    """After the content batch: image cleanup, notes read + batch, finish."""
    return [
        *cleanup_responses(plan),
        ok(notes_body(plan)),
        ok({"presentationId": file_id, "replies": []}),
        ok(
            {
                "id": file_id,
                "name": plan.title,
                "webViewLink": f"https://docs.google.com/presentation/d/{file_id}/edit",
            }
        ),
    ]


def happy_responses(
    plan: Plan, file_id: str = "pres-1", found: Sequence[dict[str, Any]] = ()
) -> list[Response]:
    return [
        ok({"files": list(found)}),
        ok(
            {
                "id": file_id,
                "name": plan.title + " (deckgen: in progress)",
                "webViewLink": f"https://docs.google.com/presentation/d/{file_id}/edit",
            }
        ),
        ok(inspect_body(plan)),
        *upload_responses(plan),
        ok({"presentationId": file_id, "replies": []}),
        *tail_responses(plan, file_id),
    ]


class RaisingHttp(HttpMockSequence):
    """HttpMockSequence that raises an exception given in place of a response (a dropped
    connection); also keeps the full request log that HttpMockSequence records."""

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: Any = None,
        redirections: int = 1,
        connection_type: Any = None,
    ) -> Any:
        head = self._iterable[0]
        if isinstance(head, BaseException):
            self._iterable.pop(0)
            self.request_sequence.append((uri, method, body, headers))
            raise head
        return super().request(uri, method, body, headers, redirections, connection_type)


def fake_png(spec: ChartSpec, w: float, h: float) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + f"{spec.id}:{w}x{h}".encode()


def requests_log(http: HttpMockSequence) -> list[tuple[str, str]]:
    """(HTTP method, path without query) of every request sent."""
    return [
        (m, u.split("?")[0].split("googleapis.com")[-1]) for u, m, _, _ in http.request_sequence
    ]


Sleep = Callable[[float], None]
