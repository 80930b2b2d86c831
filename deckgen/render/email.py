"""The digital QBR email of the smb and tech_touch tiers: content, MIME message and files.

Flow: metrics -> the deck chart specs (the same charts as the decks, drawn once per account as
opaque PNGs) -> `email_view` (plain values) -> jinja templates under content/email/ (sandboxed,
StrictUndefined; the HTML environment autoescapes) -> CSS inlined with css-inline (remote
stylesheets never fetched) -> `to_message` (multipart/alternative with CID images) -> atomic
writes of the .eml and its .html/.txt previews.

A template that names a value the account lacks fails that account's render with a
`RenderError`; a customer never gets an email with a blank where a number should be.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from deckgen.config import Config
from deckgen.errors import ConfigError, RenderError
from deckgen.metrics.results import AccountMetrics
from deckgen.model.build import gets_email
from deckgen.model.deck import ChartSpec
from deckgen.narrative.env import html_env, render_text, text_env
from deckgen.narrative.formats import Formatter
from deckgen.render.email_content import EmailChart, email_view, link
from deckgen.render.email_message import (
    EmailImage,
    address,
    build_message,
    domain_of,
    image_cid,
    list_unsubscribe,
    message_id,
    one_line,
    valid_address,
)

if TYPE_CHECKING:
    from deckgen.charting.style import ChartStyle
    from deckgen.pipeline import OutputFile, RenderInputs

__all__ = [
    "EmailImage",
    "RenderedEmail",
    "build_email",
    "email_file_name",
    "gets_email",
    "preview_html",
    "recipient",
    "render_email_files",
    "to_message",
]

TEMPLATE_DIR = "email"
HTML_TEMPLATE = f"{TEMPLATE_DIR}/qbr.html.j2"
TEXT_TEMPLATE = f"{TEMPLATE_DIR}/qbr.txt.j2"
SUBJECT_TEMPLATE = f"{TEMPLATE_DIR}/subject.j2"
PREHEADER_TEMPLATE = f"{TEMPLATE_DIR}/preheader.j2"

# Charts are drawn for a 536 px column (600 px less the card's padding) at the chart style's
# dpi, so their text has its point size at 96 CSS px per inch and stays sharp on 1.5x screens.
CHART_WIDTH_PX = 536
CHART_HEIGHT_PX = 180
CSS_PX_PER_IN = 96.0
# The chart ids `deckgen.model.charts.account_charts` can return (email.charts picks from them).
CHART_IDS = frozenset(
    {"users", "features", "health", "value_by_category", "value_trend", "support", "benchmark"}
)


@dataclass(frozen=True)
class RenderedEmail:
    """One account's email before MIME: what `to_message` wraps and the previews show."""

    account_id: str
    quarter: str  # "2026Q3", the review quarter
    subject: str
    preheader: str
    html: str  # CSS inlined, images as cid: references
    text: str
    images: tuple[EmailImage, ...]

    @property
    def html_bytes(self) -> int:
        return len(self.html.encode("utf-8"))


# --------------------------------------------------------------------------- building


def build_email(
    prepared: RenderInputs,
    m: AccountMetrics,
    *,
    templates: Path | None = None,
    style: ChartStyle | None = None,
) -> RenderedEmail:
    """Render one account's email from its metrics.

    `templates` is a folder laid out like content/ (`DIR/email/qbr.html.j2`, ...); files it
    lacks fall back to the shipped ones. Raises `RenderError` for an account that must not get
    this email (held, blocked, onboarding: the batch routes those elsewhere too) and for any
    template or size problem, naming the account.
    """
    config = prepared.config
    if m.status in ("held", "blocked"):
        why = "; ".join(m.reasons) or m.status
        raise RenderError(f"{m.account_id}: no email for a {m.status} account ({why})")
    if m.facts.onboarding or m.status == "onboarding":
        raise RenderError(
            f"{m.account_id}: onboarding account: it gets the onboarding variant, not a QBR email"
        )
    overrides = _check_templates(templates)
    f = _formatter(m, config)
    sender = _sender_address(config)
    style = style or _default_style()
    specs = _email_specs(m, config)
    charts, images = _draw_charts(m, specs, style, domain_of(sender))
    colours = {**dataclasses.asdict(style.palette), **dataclasses.asdict(style.status)}
    view = email_view(m, f, config, charts, colours, prepared.product_modules(m))
    context: dict[str, Any] = {"v": view, "m": m, "f": f, "config": config.as_dict()}

    subject = one_line(_render(m, SUBJECT_TEMPLATE, overrides, context, html=False), 250)
    if not subject:
        raise RenderError(f"{m.account_id}: the email subject template rendered nothing")
    preheader = one_line(_render(m, PREHEADER_TEMPLATE, overrides, context, html=False), 300)
    context.update(subject=subject, preheader=preheader)
    raw_html = _render(m, HTML_TEMPLATE, overrides, context, html=True)
    text = _render(m, TEXT_TEMPLATE, overrides, context, html=False)
    html = inline_css(raw_html)

    limit_kb = float(config.get("email.max_html_kb", 90))
    size = len(html.encode("utf-8"))
    if size > limit_kb * 1024:
        raise RenderError(
            f"{m.account_id}: email HTML is {size / 1024:.0f} KB, over the {limit_kb:g} KB "
            "limit (Gmail clips long emails and hides the end, unsubscribe link included)"
        )
    # A custom template may leave a chart out: attach only the images the HTML shows.
    images = tuple(img for img in images if f"cid:{img.cid}" in html)
    return RenderedEmail(
        m.account_id, m.period.quarter, subject, preheader, html, text + "\n", images
    )


def recipient(m: AccountMetrics) -> tuple[Address | None, str | None]:
    """The champion as a header-safe mailbox, or None and the reason `send` will skip it."""
    raw = m.facts.champion_email
    if not (raw or "").strip():
        return None, f"no champion_email in the book for {m.account_id}: add one and re-render"
    addr = valid_address(raw)
    if addr is None:
        return None, (
            f"champion_email of {m.account_id} is not a plain email address "
            f"({one_line(raw, 80)!r}): fix it in the book and re-render"
        )
    return address(m.facts.champion_name, addr), None


def to_message(
    rendered: RenderedEmail, m: AccountMetrics, config: Config, *, now: datetime | None = None
) -> EmailMessage:
    """Wrap a rendered email in its MIME message, with the headers bulk senders need.

    From comes from `email.sender_*`, Reply-To from `email.reply_to` (else the CSM), To is the
    champion. Without a usable champion address the message has no To and carries the reason
    in an internal hold header, which `deckgen send` reports and skips.
    """
    sender = _sender_address(config)
    from_ = address(str(config.get("email.sender_name", "") or ""), sender)
    to, hold = recipient(m)
    reply_to: Address | None = None
    configured = str(config.get("email.reply_to", "") or "").strip()
    if configured:
        checked = valid_address(configured)
        if checked is None:
            raise ConfigError(f"email.reply_to: {configured!r} is not an email address")
        reply_to = address(None, checked)
    else:
        csm = valid_address(m.facts.csm_email)
        if csm:
            reply_to = address(m.facts.csm_name, csm)
    unsubscribe, one_click = list_unsubscribe(
        str(config.get("email.list_unsubscribe.mailto", "") or ""),
        link(str(config.get("email.list_unsubscribe.url", "") or ""), m.account_id),
        m.account_id,
    )
    has_link = bool(link(str(config.get("email.links.unsubscribe", "") or ""), m.account_id))
    if unsubscribe is None and not has_link:
        raise ConfigError(
            "email: set email.links.unsubscribe or email.list_unsubscribe: a bulk email needs a "
            "way to opt out"
        )
    return build_message(
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        images=rendered.images,
        sender=from_,
        to=to,
        reply_to=reply_to,
        msg_id=message_id(m.account_id, m.period.quarter, domain_of(sender)),
        unsubscribe=unsubscribe,
        one_click=one_click,
        account_id=m.account_id,
        quarter=m.period.quarter,
        hold=hold,
        now=now,
    )


def preview_html(rendered: RenderedEmail) -> str:
    """The HTML with each cid: image replaced by a data: URI, for opening in a browser.

    Preview only: Gmail and Outlook drop data: images, so the message itself never uses them.
    """
    html = rendered.html
    for img in rendered.images:
        uri = "data:image/png;base64," + base64.b64encode(img.png).decode("ascii")
        html = html.replace(f"cid:{img.cid}", uri)
    return html


def email_file_name(m: AccountMetrics, ext: str) -> str:
    from deckgen.output.paths import account_stem

    return f"{account_stem(m.account_id, m.name)}_email_{m.period.quarter}.{ext}"


def render_email_files(
    prepared: RenderInputs,
    m: AccountMetrics,
    folder: Path,
    *,
    templates: Path | None = None,
    style: ChartStyle | None = None,
    now: datetime | None = None,
) -> list[OutputFile]:
    """Write `<stem>_email_<quarter>.eml` plus its `.html` and `.txt` previews, atomically.

    Everything is built in memory first, so a failing account leaves no file behind. The .eml
    is the first OutputFile (kind "email"); an account without a usable champion address still
    gets its files, with the reason in the OutputFile's `adjustments` and in the message.
    """
    from deckgen.output.atomic import write_bytes
    from deckgen.output.paths import safe_join
    from deckgen.pipeline import OutputFile

    rendered = build_email(prepared, m, templates=templates, style=style)
    msg = to_message(rendered, m, prepared.config, now=now)
    eml = msg.as_bytes()
    preview = preview_html(rendered)
    _, hold = recipient(m)
    notes = (hold,) if hold else ()
    out = []
    for kind, ext, data in (
        ("email", "eml", eml),
        ("email_preview_html", "html", preview.encode("utf-8")),
        ("email_preview_text", "txt", rendered.text.encode("utf-8")),
    ):
        target = safe_join(folder, email_file_name(m, ext))
        write_bytes(target, data)
        out.append(
            OutputFile(
                kind, target, 0, hashlib.sha256(data).hexdigest(), notes if kind == "email" else ()
            )
        )
    return out


# --------------------------------------------------------------------------- pieces


def inline_css(html: str) -> str:
    """Inline the <style> rules; `<style data-css-inline="keep">` blocks stay as they are
    (dark-mode and small-screen @media rules cannot be inlined).

    Remote stylesheets are never loaded: a template must not make the renderer fetch URLs.
    """
    import css_inline

    try:
        return _inliner().inline(html)
    except css_inline.InlineError as exc:  # pragma: no cover - malformed CSS in a custom template
        raise RenderError(f"email CSS could not be inlined: {exc}") from exc


@lru_cache(maxsize=1)
def _inliner() -> Any:
    import css_inline

    # The template's `data-css-inline="keep"` block carries the @media rules; keep_at_rules
    # would copy them a second time.
    return css_inline.CSSInliner(load_remote_stylesheets=False, minify_css=True)


@lru_cache(maxsize=1)
def _default_style() -> ChartStyle:
    from deckgen.charting.style import load_style

    return load_style()


def _formatter(m: AccountMetrics, config: Config) -> Formatter:
    from deckgen.model.build import formatter_for

    return formatter_for(m, config)


def _sender_address(config: Config) -> str:
    raw = str(config.get("email.sender_address", "") or "")
    addr = valid_address(raw)
    if addr is None:
        raise ConfigError(f"email.sender_address: {raw!r} is not an email address")
    return addr


def _check_templates(templates: Path | None) -> Path | None:
    """A custom template folder must mirror content/: DIR/email/<name>.j2."""
    if templates is None:
        return None
    root = Path(templates)
    if not root.is_dir():
        raise ConfigError(f"--templates: {root} is not a folder")
    if not (root / TEMPLATE_DIR).is_dir() and any(root.glob("*.j2")):
        raise ConfigError(
            f"--templates: put email templates in {root / TEMPLATE_DIR}/ (the folder mirrors "
            "content/, e.g. email/qbr.html.j2)"
        )
    return root.resolve()


def _render(
    m: AccountMetrics, name: str, overrides: Path | None, context: dict[str, Any], *, html: bool
) -> str:
    try:
        if html:
            return html_env(overrides).get_template(name).render(**context)
        if name == TEXT_TEMPLATE:
            return render_text(name, overrides, **context)
        return text_env(overrides).get_template(name).render(**context)
    except jinja2.UndefinedError as exc:
        raise RenderError(
            f"{m.account_id}: email template {_where(exc, name)} uses a value this account does "
            f"not have ({exc.message}); no email was written for it"
        ) from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"{m.account_id}: email template {_where(exc, name)}: {exc}") from exc


def _where(exc: BaseException, name: str) -> str:
    """ "email/qbr.html.j2:42": the template line the error came from, for CS Ops to fix.

    jinja rewrites tracebacks so that template frames carry the template's file and line.
    """
    where = name
    lineno = getattr(exc, "lineno", None)
    filename = getattr(exc, "filename", None)
    if lineno:
        return f"{filename or name}:{lineno}"
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code.co_filename
        if code.endswith(".j2"):
            where = f"{code}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def _email_specs(m: AccountMetrics, config: Config) -> list[ChartSpec]:
    """The deck chart specs the email shows, in the configured order; missing data = absent."""
    from deckgen.model.build import charts_for

    wanted = [str(c) for c in (config.get("email.charts", []) or [])]
    unknown = sorted(set(wanted) - CHART_IDS)
    if unknown:
        raise ConfigError(
            f"email.charts: unknown chart(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(CHART_IDS))}"
        )
    specs = charts_for(m, config)
    return [specs[c] for c in wanted if c in specs]


def _draw_charts(
    m: AccountMetrics,
    specs: list[ChartSpec],
    style: ChartStyle,
    domain: str,
) -> tuple[dict[str, EmailChart], tuple[EmailImage, ...]]:
    """Draw each chart once (opaque PNG, no title: the caption is HTML text)."""
    from deckgen.charting.mpl import render_png

    width_in = CHART_WIDTH_PX / CSS_PX_PER_IN
    height_in = CHART_HEIGHT_PX / CSS_PX_PER_IN
    charts: dict[str, EmailChart] = {}
    images: list[EmailImage] = []
    for spec in specs:
        png = render_png(spec, style, width_in, height_in)
        cid = image_cid(m.account_id, m.period.quarter, spec.id, domain)
        charts[spec.id] = EmailChart(
            spec.id, cid, spec.so_what, spec.alt_text, CHART_WIDTH_PX, CHART_HEIGHT_PX
        )
        images.append(EmailImage(cid, png, spec.alt_text))
    return charts, tuple(images)
