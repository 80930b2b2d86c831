"""The digital QBR email: content, MIME structure, header safety and template failures.

Accounts are built inline (no book, no metrics engine); messages are checked by parsing them
back with the standard library's email parser, never by comparing bytes.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from deckgen.config import Config, default_config, load_config
from deckgen.errors import RenderError
from deckgen.metrics.results import (
    AccountFacts,
    AccountMetrics,
    Dimension,
    GoalRow,
    Health,
    Period,
    RoadmapRow,
    Signal,
    SupportSummary,
    Trend,
    UsageSummary,
    Value,
    ValueItem,
)
from deckgen.pipeline import Prepared
from deckgen.render.email import (
    build_email,
    gets_email,
    preview_html,
    render_email_files,
    to_message,
)
from deckgen.render.email_message import H_HOLD, one_line

HOSTILE = '<script>alert(1)</script> & "Co" {{ 7*7 }}\r\nBcc: evil@example.com'


# --------------------------------------------------------------------------- an account


def make_metrics(
    account_id: str = "A-0100", name: str = "Café Müller GmbH", **facts: Any
) -> AccountMetrics:
    """A complete tech-touch account: value, usage, support, goals, roadmap and signals."""
    period = Period(
        "2026Q3",
        date(2026, 7, 1),
        date(2026, 9, 30),
        date(2026, 11, 28),
        None,
        ("2025Q4", "2026Q1", "2026Q2", "2026Q3"),
    )
    base: dict[str, Any] = dict(
        name=name,
        arr=4800.0,
        currency="EUR",
        industry="retail",
        product_type="collaboration",
        customer_since=date(2022, 3, 29),
        renewal_date=date(2027, 3, 29),
        months_to_renewal=4,
        last_qbr_date=date(2025, 12, 5),
        next_qbr_date=date(2026, 12, 9),
        csm_name="Hannah Kim",
        csm_email="hannah.kim@example.com",
        champion_name="Yuki Silva",
        champion_title="General Manager",
        champion_email="yuki.silva@example.org",
        sponsor_name=None,
        sponsor_title=None,
        nps=8.0,
        csat=4.9,
        is_ebr=False,
        onboarding=False,
    )
    base.update(facts)
    dims = {
        "usage": Dimension("usage", 72.0, 0.35, 0.35, {}),
        "engagement": Dimension("engagement", 60.0, 0.25, 0.25, {}),
    }
    health = Health(71, "yellow", "yellow", dims, (), (), Trend(66, 5, "stable"), ())
    items = (
        ValueItem(
            "time_savings",
            "Manual stock counts",
            "2026Q3",
            120.0,
            40.0,
            "hours",
            80.0,
            6000.0,
            "80 hours saved x 75 EUR per hour",
        ),
        ValueItem("quality", "Order errors", "2026Q3", 4.0, 2.5, "%", None, 900.0, "given"),
    )
    value = Value(
        "2026Q3",
        6900.0,
        1200.0,
        575.0,
        27600.0,
        {"time_savings": 6000.0, "quality": 900.0},
        items,
        (("2025Q4", None), ("2026Q1", 4100.0), ("2026Q2", 5200.0), ("2026Q3", 6900.0)),
        "method",
        (),
    )
    usage = UsageSummary(
        25,
        19,
        76.0,
        period.previous_quarters,
        (14.0, 15.0, 17.0, 18.3),
        12.0,
        7.6,
        0.42,
        5,
        8,
        62.5,
        (
            ("co_docs", 1830),
            ("co_chat", 1220),
            ("co_tasks", 640),
            ("co_calendar", 210),
            ("co_wiki", 95),
        ),
    )
    support = SupportSummary(
        (
            ("2026-06", 1),
            ("2026-07", 0),
            ("2026-08", 2),
            ("2026-09", 1),
            ("2026-10", 0),
            ("2026-11", 1),
        ),
        3,
        0,
        0,
        9.5,
        1.2,
        4.7,
        "flat",
    )
    goals = (
        GoalRow(
            "Move all shift planning online",
            "shifts planned",
            100.0,
            64.0,
            "%",
            "on_track",
            "Yuki Silva",
            date(2026, 12, 31),
            "2026Q4",
        ),
        GoalRow(
            "Train every store manager",
            "managers trained",
            6.0,
            6.0,
            "managers",
            "complete",
            "Hannah Kim",
            date(2026, 9, 30),
            "2026Q3",
        ),
    )
    roadmap = (
        RoadmapRow(
            "Offline mode", "Keep working without a connection", "shipped", "2026Q3", "Mobile", True
        ),
        RoadmapRow(
            "Portfolio timeline view",
            "Every milestone on one timeline",
            "shipped",
            "2026Q2",
            "Portfolio",
            False,
        ),
        RoadmapRow(
            "Natural-language questions",
            "Ask in plain words",
            "horizon",
            "2027H2",
            "Reports",
            False,
        ),
    )
    signals = (
        Signal(
            "risk",
            "renewal_soon",
            "Renewal approaching",
            78.0,
            90.0,
            "days",
            "yellow",
            "Renewal is 78 days away: confirm the renewal conversation.",
            200.0,
        ),
        Signal(
            "risk",
            "dau_mau",
            "DAU/MAU",
            0.28,
            0.3,
            "ratio",
            "red",
            "DAU/MAU was 0.28 in 2026-11.",
            300.0,
        ),
    )
    return AccountMetrics(
        account_id,
        name,
        "tech_touch",
        "ok",
        (),
        period,
        AccountFacts(**base),
        health,
        value,
        (),
        signals,
        usage,
        support,
        goals,
        (),
        roadmap,
    )


def prepared_for(m: AccountMetrics, config: Config | None = None) -> Prepared:
    return Prepared(None, config or default_config(), None, [m], date(2026, 11, 28), None)  # type: ignore[arg-type]


def parse(msg: EmailMessage) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.fixture(scope="module")
def account() -> AccountMetrics:
    return make_metrics()


@pytest.fixture(scope="module")
def rendered(account: AccountMetrics) -> Any:
    return build_email(prepared_for(account), account)


@pytest.fixture(scope="module")
def message(account: AccountMetrics, rendered: Any) -> EmailMessage:
    return parse(to_message(rendered, account, default_config()))


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.imgs.append(dict(attrs))


def html_images(html: str) -> list[dict[str, str | None]]:
    p = _Images()
    p.feed(html)
    return p.imgs


def html_part(msg: EmailMessage) -> EmailMessage:
    part = msg.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage)
    return part


# --------------------------------------------------------------------------- structure


def test_message_is_alternative_of_text_and_related_html_with_cid_images(
    message: EmailMessage,
) -> None:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "multipart/related"]
    related = list(parts[1].iter_parts())
    assert related[0].get_content_type() == "text/html"
    images = related[1:]
    assert len(images) == 3
    assert all(p.get_content_type() == "image/png" for p in images)
    by_cid = {str(p["Content-ID"]).strip("<>"): p for p in images}
    html = html_part(message).get_content()
    srcs = [str(img["src"]) for img in html_images(html)]
    assert len(srcs) == 3
    for src in srcs:
        assert src.startswith("cid:")
        part = by_cid[src.removeprefix("cid:")]
        png = part.get_content()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(by_cid) == {s.removeprefix("cid:") for s in srcs}


def test_chart_pngs_are_opaque_and_alt_text_states_the_numbers(message: EmailMessage) -> None:
    import io

    from PIL import Image

    html = html_part(message).get_content()
    imgs = html_images(html)
    alts = [str(i["alt"]) for i in imgs]
    assert any("€6,900" in a and "€4,100" in a for a in alts), alts  # value by quarter
    assert any("18" in a and "licensed seats 25" in a for a in alts), alts  # users
    assert any("co_docs 1,830" in a for a in alts), alts  # features
    for part in message.walk():
        if part.get_content_type() == "image/png":
            with Image.open(io.BytesIO(part.get_content())) as im:
                assert "transparency" not in im.info
                if im.mode in ("RGBA", "LA"):
                    alpha = im.getchannel("A").getextrema()
                    assert alpha == (255, 255)  # every pixel fully opaque
    for img in imgs:
        assert img["width"] and img["height"]


def test_subject_names_preheader_and_headers(message: EmailMessage, rendered: Any) -> None:
    assert message["Subject"] == "Your Q3 2026 business review – Café Müller GmbH"
    to = message["To"].addresses
    assert len(to) == 1
    assert (to[0].display_name, to[0].addr_spec) == ("Yuki Silva", "yuki.silva@example.org")
    assert message["From"].addresses[0].addr_spec == "success@example.com"
    assert message["Reply-To"].addresses[0].addr_spec == "hannah.kim@example.com"
    assert message["Date"]
    assert "mailto:unsubscribe@example.com" in message["List-Unsubscribe"]
    assert "https://example.com/unsubscribe/one-click?account=A-0100" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert rendered.preheader.startswith("Your team saved 80 hours in Q3 2026")
    html = html_part(message).get_content()
    assert rendered.preheader.split(".")[0] in html
    assert "Hi Yuki," in html
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Hi Yuki,")


def test_sections_carry_the_accounts_numbers(rendered: Any) -> None:
    text, html = rendered.text, rendered.html
    for needle in (
        "80 h",
        "€6,900",
        "575%",
        "19",
        "of 25 licensed seats",
        "5",
        "of 8 available",
        "71/100",
        "Train every store manager",
        "Offline mode",
        "You asked for this: live since Q3 2026",
        "Move all shift planning online",
        "28% of your monthly users",
    ):
        assert needle in text, needle
        assert needle in html.replace("&#34;", '"'), needle
    # relationship and commercial signals never reach the customer
    assert "renewal" not in text.lower() and "renewal" not in html.lower()
    # roadmap dates are only shown for shipped items
    assert "2027H2" not in text and "Natural-language" not in text


def test_html_is_small_inlined_and_dark_mode_ready(rendered: Any) -> None:
    assert rendered.html_bytes < 90 * 1024
    html = rendered.html
    assert '<meta name="color-scheme" content="light dark">' in html
    assert '<meta name="supported-color-schemes" content="light dark">' in html
    assert "prefers-color-scheme: dark" in html
    assert 'class="card" style="' in html  # the CSS was inlined
    assert 'width="600"' in html
    assert "<link" not in html


def test_message_id_is_deterministic_per_account_and_quarter(
    account: AccountMetrics, rendered: Any
) -> None:
    config = default_config()
    a = to_message(rendered, account, config)["Message-ID"]
    b = to_message(build_email(prepared_for(account), account), account, config)["Message-ID"]
    assert a == b
    assert re.fullmatch(r"<qbr-[0-9a-f]{24}@example\.com>", str(a))
    other = make_metrics(account_id="A-0101")
    assert to_message(rendered, other, config)["Message-ID"] != a
    later = dataclasses.replace(
        account, period=dataclasses.replace(account.period, quarter="2026Q4")
    )
    assert to_message(rendered, later, config)["Message-ID"] != a


# --------------------------------------------------------------------------- hostile data


def test_hostile_name_is_escaped_not_evaluated_and_harmless_in_headers() -> None:
    m = make_metrics(name=HOSTILE, champion_name=HOSTILE, csm_name=HOSTILE)
    rendered = build_email(prepared_for(m), m)
    msg = parse(to_message(rendered, m, default_config()))

    # headers: one To address, no injected header, the name kept as one line of text
    assert msg["Bcc"] is None
    assert [k for k in msg if k.lower() == "bcc"] == []
    to = msg["To"].addresses
    assert len(to) == 1 and to[0].addr_spec == "yuki.silva@example.org"
    assert to[0].display_name == one_line(HOSTILE)
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    assert str(msg["Subject"]).endswith(one_line(HOSTILE))

    html = html_part(msg).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "{{ 7*7 }}" in rendered.text  # shown, never evaluated
    assert "<script>alert(1)</script>" in rendered.text  # plain text shows it as text


def test_hostile_email_address_is_refused_not_repaired(tmp_path: Path) -> None:
    m = make_metrics(champion_email="yuki@example.org\r\nBcc: evil@example.com")
    files = render_email_files(prepared_for(m), m, tmp_path)
    msg = BytesParser(policy=policy.default).parsebytes(files[0].path.read_bytes())
    assert msg["To"] is None and msg["Bcc"] is None
    assert "not a plain email address" in str(msg[H_HOLD])
    assert files[0].adjustments and "not a plain email address" in files[0].adjustments[0]


def test_hostile_account_id_gives_a_safe_file_name(tmp_path: Path) -> None:
    m = make_metrics(account_id="../../etc/passwd")
    files = render_email_files(prepared_for(m), m, tmp_path)
    for f in files:
        assert f.path.parent == tmp_path.resolve()
        assert f.path.name.startswith("etc-passwd_cafe-muller-gmbh_email_2026Q3.")


# --------------------------------------------------------------------------- files


def test_render_email_files_writes_eml_html_txt_atomically(tmp_path: Path) -> None:
    m = make_metrics()
    files = render_email_files(prepared_for(m), m, tmp_path)
    assert [f.kind for f in files] == ["email", "email_preview_html", "email_preview_text"]
    assert [f.path.name for f in files] == [
        f"a-0100_cafe-muller-gmbh_email_2026Q3.{e}" for e in ("eml", "html", "txt")
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f.path.name for f in files)
    assert all(f.placeholders == 0 and not f.adjustments for f in files)
    preview = files[1].path.read_text(encoding="utf-8")
    assert "cid:" not in preview and preview.count("data:image/png;base64,") == 3
    assert files[2].path.read_text(encoding="utf-8").startswith("Hi Yuki,")


def test_no_champion_email_still_renders_and_records_the_reason(tmp_path: Path) -> None:
    m = make_metrics(champion_email=None, champion_name=None)
    files = render_email_files(prepared_for(m), m, tmp_path)
    assert all(f.path.is_file() for f in files)
    reason = files[0].adjustments[0]
    assert "no champion_email" in reason
    msg = BytesParser(policy=policy.default).parsebytes(files[0].path.read_bytes())
    assert msg["To"] is None and "no champion_email" in str(msg[H_HOLD])
    assert "Hi there," in files[2].path.read_text(encoding="utf-8")


def test_missing_value_data_is_said_plainly_never_invented() -> None:
    m = make_metrics()
    m = dataclasses.replace(
        m,
        value=dataclasses.replace(
            m.value,
            quarterly_value=None,
            roi_pct=None,
            annualised_value=None,
            by_category={},
            items=(),
            trend=tuple((q, None) for q, _ in m.value.trend),
        ),
    )
    r = build_email(prepared_for(m), m)
    assert "no value data for Q3 2026" in r.text
    assert "no value data for Q3 2026" in r.html
    assert "ROI" not in r.text and "Value delivered" not in r.html
    assert len(r.images) == 2  # no value chart without value data
    for bad in ("None", "nan", "[[", "–%"):
        assert bad not in r.text, bad


def test_gets_email_follows_tier_routing() -> None:
    config = default_config()
    m = make_metrics()
    assert gets_email(m, config)
    assert not gets_email(dataclasses.replace(m, tier="enterprise"), config)
    assert not gets_email(dataclasses.replace(m, status="held"), config)
    onboarding = dataclasses.replace(m, facts=dataclasses.replace(m.facts, onboarding=True))
    assert not gets_email(onboarding, config)


def test_blocked_held_and_onboarding_accounts_get_no_email() -> None:
    for status in ("held", "blocked", "onboarding"):
        m = dataclasses.replace(make_metrics(), status=status)
        with pytest.raises(RenderError, match="A-0100"):
            build_email(prepared_for(m), m)


def test_links_come_from_config_with_the_account_id_url_quoted() -> None:
    config = load_config(
        overrides={
            "email": {
                "links": {"dashboard": "https://app.example.net/a/{account_id}/home", "goals": ""},
                "list_unsubscribe": {"url": "", "mailto": "optout@example.net"},
                "reply_to": "team@example.net",
            }
        }
    )
    m = make_metrics(account_id="A/01 ?&x")
    r = build_email(prepared_for(m, config), m)
    assert "https://app.example.net/a/A%2F01%20%3F%26x/home" in r.text
    assert "Set your goals:" not in r.text and "Review your goals:" not in r.text
    msg = to_message(r, m, config)
    assert msg["List-Unsubscribe-Post"] is None  # no https url: no one-click claim
    assert str(msg["List-Unsubscribe"]).startswith("<mailto:optout@example.net?subject=")
    assert msg["Reply-To"].addresses[0].addr_spec == "team@example.net"


# --------------------------------------------------------------------------- templates


def test_a_missing_template_value_fails_the_account_with_a_clear_reason(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "qbr.html.j2").write_text(
        "<html><body>{{ v.company }} saved {{ v.hours_saved_this_year }} hours</body></html>",
        encoding="utf-8",
    )
    m = make_metrics()
    out = tmp_path / "out"
    with pytest.raises(RenderError) as err:
        render_email_files(prepared_for(m), m, out, templates=tmp_path)
    message = str(err.value)
    assert "A-0100" in message and "email/qbr.html.j2" in message
    assert "hours_saved_this_year" in message
    assert not out.exists() or not any(out.iterdir())  # nothing half-written


def test_an_override_template_replaces_only_its_own_file(tmp_path: Path) -> None:
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "subject.j2").write_text(
        "{{ v.company }}: your {{ v.quarter }} in numbers\n", encoding="utf-8"
    )
    m = make_metrics()
    r = build_email(prepared_for(m), m, templates=tmp_path)
    assert r.subject == "Café Müller GmbH: your Q3 2026 in numbers"
    assert "Your impact" in r.html  # the shipped HTML template still applies


def test_override_folder_must_mirror_content(tmp_path: Path) -> None:
    from deckgen.errors import ConfigError

    (tmp_path / "qbr.html.j2").write_text("x", encoding="utf-8")
    m = make_metrics()
    with pytest.raises(ConfigError, match="email/"):
        build_email(prepared_for(m), m, templates=tmp_path)


def test_preview_inlines_every_image(rendered: Any) -> None:
    preview = preview_html(rendered)
    assert "cid:" not in preview
    assert preview.count("data:image/png;base64,") == len(rendered.images)
