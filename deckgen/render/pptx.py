"""Render a deck model to PowerPoint, filling a template's layouts.

The template decides where things go (its title and body placeholders define the regions, so a
customer's corporate template is respected); this module decides how blocks share a region, and
makes sure nothing overflows: titles and text are measured with real font metrics and shrunk to
a floor, a table too long for its slide continues on "<title> (cont.)" slides, and every
adjustment is listed in the returned `RenderReport`.

Layout roles: a model slide's `layout` maps to a template role (title, section, content,
two_content; kpis_content uses content); `pptx_template.find_layouts` resolves roles to layouts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.enum.text import MSO_AUTO_SIZE

from deckgen.charting.memory import young_garbage
from deckgen.charting.style import ChartStyle
from deckgen.errors import RenderError
from deckgen.model.deck import (
    Block,
    ChartBlock,
    Deck,
    KpiBlock,
    Paragraph,
    Run,
    ScoreBlock,
    Slide,
    TableBlock,
    TextBlock,
)
from deckgen.render import pptx_blocks as bk
from deckgen.render import pptx_template as tpl
from deckgen.render.pptx_blocks import IN, Ctx, Rect
from deckgen.render.pptx_text import LINE_HEIGHT, ParaSpec, fit, pt, truncate_to_lines

ROLE_OF = {
    "title": "title",
    "section": "section",
    "content": "content",
    "kpis_content": "content",
    "two_content": "two_content",
    "title_only": "title_only",
}
GAP = int(0.24 * IN)  # vertical gap between stacked blocks
COLUMN_GAP = int(0.45 * IN)  # used only when a two-column slide falls back to one region
TEXT_FLOOR = 10.0
TABLE_FLOOR = 10.0
CONT = " (cont.)"


@dataclass
class RenderReport:
    """What the renderer had to do to make the deck fit, and what still needs a human.

    `adjustments` are sentences for the run log ("slide 11 'Benchmarks': table continued on
    slide 12 (9 of 21 rows)"); `placeholders` lists (slide number, marker) as written on the
    slides, i.e. what `deckgen check` will find.
    """

    slides: int = 0
    template: str = ""
    layouts: dict[str, str] = field(default_factory=dict)
    layout_matching: dict[str, str] = field(default_factory=dict)
    template_slides_removed: int = 0
    adjustments: list[str] = field(default_factory=list)
    placeholders: list[tuple[int, str]] = field(default_factory=list)
    charts_drawn: int = 0
    charts_reused: int = 0
    seconds: float = 0.0


def render_pptx(
    deck: Deck,
    out_path_or_stream: Path | str | IO[bytes],
    *,
    template: Path | None = None,
    charts: Literal["image", "native"] = "image",
    style: ChartStyle,
    png_cache: dict[str, bytes] | None = None,
    layout_names: Mapping[str, str] | None = None,
    created: datetime | None = None,
) -> RenderReport:
    """Write `deck` as a .pptx to a path or binary stream and report what was adjusted.

    `template`: a user .pptx/.potx (its theme colours then replace the style's brand palette);
    None uses layouts/default.pptx. `layout_names`: role -> layout name overrides from the
    config or deck spec. `png_cache`: chart id -> PNG, shared across an account's outputs so a
    chart is drawn once. `created`: timestamp for core properties (tests and reproducible
    builds); now by default.
    """
    if charts not in ("image", "native"):
        raise RenderError(f"charts must be 'image' or 'native', not {charts!r}")
    if not deck.slides:
        raise RenderError(f"deck for {deck.account_id} has no slides")
    # python-pptx's package is a reference cycle holding the deck's XML and pictures: freed as
    # soon as the deck is written instead of piling up in a batch worker (see charting.memory).
    with young_garbage():
        return _render(
            deck, out_path_or_stream, template, charts, style, png_cache, layout_names, created
        )


def _render(
    deck: Deck,
    out_path_or_stream: Path | str | IO[bytes],
    template: Path | None,
    charts: Literal["image", "native"],
    style: ChartStyle,
    png_cache: dict[str, bytes] | None,
    layout_names: Mapping[str, str] | None,
    created: datetime | None,
) -> RenderReport:
    started = time.perf_counter()
    # Opened, emptied and analysed once per process; each deck starts from a cheap copy.
    prepared = tpl.prepared_template(template)
    report = RenderReport(template=str(template) if template else "default")
    report.template_slides_removed = prepared.removed
    theme = prepared.theme
    if template is not None:
        style = style.with_palette(**tpl.theme_palette(theme))
    roles = {ROLE_OF.get(s.layout, "content") for s in deck.slides} | {"content"}
    prs, match = prepared.open(
        sorted(roles), layout_names, template_label=f"template {template or 'default'}"
    )
    report.layouts = match.names()
    report.layout_matching = dict(match.how)
    for role, alt in match.fallbacks.items():
        report.adjustments.append(f"template has no '{role}' layout: using its '{alt}' layout")
    renderer = _Renderer(
        prs,
        deck,
        match,
        report,
        style,
        theme,
        charts,
        png_cache if png_cache is not None else {},
        prepared,
    )
    for model in deck.slides:
        renderer.slide(model)
    tpl.set_core_properties(
        prs,
        title=bk.clean(deck.title),
        author=bk.clean(deck.author),
        subject=bk.clean(deck.subject or f"{deck.account_name} {deck.quarter}"),
        keywords=[bk.clean(k) for k in deck.keywords],
        when=created,
    )
    tpl.save(prs, out_path_or_stream, prepared)
    report.slides = len(prs.slides)
    report.charts_drawn = renderer.ctx.charts_drawn
    report.charts_reused = renderer.ctx.charts_reused
    report.seconds = time.perf_counter() - started
    return report


@dataclass
class _Overflow:
    """Rows of a table that did not fit and go to a continuation slide."""

    table: TableBlock
    rows: list[int]
    size: float  # continuation slides keep the first part's text size


class _Renderer:
    def __init__(
        self,
        prs: Any,
        deck: Deck,
        match: tpl.LayoutMatch,
        report: RenderReport,
        style: ChartStyle,
        theme: tpl.Theme,
        charts: Literal["image", "native"],
        png_cache: dict[str, bytes],
        prepared: tpl.PreparedTemplate,
    ) -> None:
        self.prs = prs
        self.prepared = prepared
        self.deck = deck
        self.match = match
        self.report = report
        self.slide_notes: list[str] = []
        self.ctx = Ctx(
            style=style,
            body_font=theme.minor_font,
            head_font=theme.major_font,
            charts=charts,
            png_cache=png_cache,
            note=self._note,
        )
        self.model_title = ""
        self.number = 0
        self.layout: Any = None
        self.layout_key = ""
        # Placeholder geometry is a property of the template: kept with it, across decks.
        self._geo_cache: dict[tuple[str, int], _Geometry | None] = prepared.geometry

    def _geo(self, ph: Any) -> _Geometry:
        """Geometry and text settings of a slide placeholder, from its layout, cached.

        python-pptx resolves inherited position and style by searching the layout and master
        on every access; every deck from a template asks the same few questions.
        """
        idx = tpl.placeholder_idx(ph)
        key = (self.layout_key, idx)
        geo = self._geo_cache.get(key)
        if geo is None:
            source = self.layout.placeholders.get(idx=idx)
            geo = _geometry(source if source is not None else ph)
            self._geo_cache[key] = geo
        return geo

    # ----------------------------------------------------------------- bookkeeping

    def _note(self, message: str) -> None:
        self.report.adjustments.append(f"slide {self.number} '{self.model_title[:60]}': {message}")

    def _new_slide(self, role: str, title: str) -> Any:
        self.layout = self.match.layouts[role]
        self.layout_key = str(self.layout.part.partname)
        slide = tpl.add_slide(self.prs, self.layout, self.prepared)
        self.number += 1
        self.model_title = bk.clean(title)
        self.ctx.markers = []
        self.slide_notes = []
        return slide

    def _finish(self, slide: Any, role: str, notes: str, listed: Sequence[str]) -> None:
        if role != "title":
            footer = None if role == "section" else self._footer_text(slide)
            tpl.add_footer_placeholders(slide, self.number, footer, self.prepared.footer_protos)
        tpl.remove_empty_placeholders(slide)
        markers = list(dict.fromkeys(self.ctx.markers))
        for marker in markers:
            self.report.placeholders.append((self.number, marker))
        to_fill = list(dict.fromkeys([*listed, *markers]))
        parts = [bk.clean(notes).strip(), *self.slide_notes]
        parts.append("Placeholders to fill: " + ("; ".join(to_fill) if to_fill else "none."))
        tpl.set_notes(slide, "\n\n".join(p for p in parts if p), self.prepared)

    def _footer_text(self, slide: Any) -> str | None:
        key = (self.layout_key, -1)
        if key not in self._geo_cache:
            ph = tpl.layout_placeholder(self.layout, PP_PLACEHOLDER.FOOTER)
            self._geo_cache[key] = None if ph is None else _geometry(ph)
        geo = self._geo_cache[key]
        if geo is None:
            return None
        text = bk.clean(f"{self.deck.account_name} · {self.deck.quarter}")
        return truncate_to_lines(text, self.ctx.body_font, geo.size or 10, geo.inner_w_pt, 1)

    # ----------------------------------------------------------------- slides

    def slide(self, model: Slide) -> None:
        role = ROLE_OF.get(model.layout)
        if role is None:
            role = "content"
            self.report.adjustments.append(
                f"slide '{model.title[:60]}': unknown layout '{model.layout}', used content"
            )
        slide = self._new_slide(role, model.title)
        self._title(slide, model.title)
        overflow: list[_Overflow] = []
        if role in ("title", "section"):
            self._cover(slide, model)
        else:
            regions = self._regions(slide, role)
            if model.subtitle:
                regions = self._kicker(slide, regions, model.subtitle)
            if len(regions) == 2 and len(model.blocks) == 1:
                regions = [_union(regions)]  # one block: use the whole width
            if len(regions) == 2:
                split = model.split if model.split is not None else math.ceil(len(model.blocks) / 2)
                columns: list[Sequence[Block]] = [model.blocks[:split], model.blocks[split:]]
            else:
                columns = [model.blocks]
            for blocks, region in zip(columns, regions, strict=False):
                overflow += self._stack(slide, blocks, region)
        listed = [p.marker for p in model.placeholders]
        self._finish(slide, role, model.notes, listed)
        for item in overflow:
            self._continue_table(model, item)

    def _continue_table(self, model: Slide, item: _Overflow) -> None:
        first = self.number
        rows = item.rows
        while rows:
            slide = self._new_slide("content", model.title)
            self._title(slide, bk.clean(model.title) + CONT)
            (region,) = self._regions(slide, "content")[:1]
            done, _, _ = self._table_rows(
                slide,
                item.table,
                rows,
                region,
                base=item.size,
                floor=item.size,
                continued=True,
                balance=True,
            )
            left = rows[done:]
            start = len(item.table.rows) - len(rows) + 1
            self.report.adjustments.append(
                f"slide {first} '{model.title[:60]}': table continued on slide {self.number} "
                f"(rows {start}–{start + done - 1} of {len(item.table.rows)})"
            )
            self._finish(slide, "content", f"Continued from slide {first}.", [])
            rows = left

    # ----------------------------------------------------------------- title and cover

    def _title(self, slide: Any, text: str) -> None:
        ph = _placeholder(slide, (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE))
        text = bk.clean(text)
        if ph is None:
            # A layout without a title placeholder (user-mapped "Blank"): a plain text box.
            rect = Rect(
                int(0.6 * IN), int(0.35 * IN), self.prs.slide_width - int(1.2 * IN), int(0.9 * IN)
            )
            bk.one_line(
                self.ctx,
                slide,
                rect,
                text,
                size=28,
                min_size=16,
                colour=self.ctx.text,
                bold=True,
                max_lines=2,
                font=self.ctx.head_font,
                name="Title",
            )
            return
        geo = self._geo(ph)
        base = geo.size or 28.0
        bold = geo.bold
        width, height = geo.inner_w_pt, geo.inner_h_pt
        floor = max(14.0, round(base * 0.6))
        pieces = bk.pieces_from_text(text, bold=bold)
        result = fit([ParaSpec(bk.tokens(pieces))], self.ctx.head_font, width, height, base, floor)
        if not result.fits:
            lines = max(1, int(height // (result.size * LINE_HEIGHT)))
            cut = truncate_to_lines(text, self.ctx.head_font, result.size, width, lines, bold=bold)
            self._note(f"title shortened to fit (full title in the notes): {text[:80]!r}")
            self.slide_notes.append(f"Full title: {text}")
            pieces = bk.pieces_from_text(cut, bold=bold)
        elif result.size < base:
            self._note(f"title shrunk from {base:g} to {result.size:g} pt")
        tf = ph.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        para = tf.paragraphs[0]
        bk.write(
            self.ctx, para, pieces, result.size if result.size != base else None, None, font=None
        )

    def _cover(self, slide: Any, model: Slide) -> None:
        """Title and section slides: subtitle and text go into the layout's text placeholder."""
        ph = _placeholder(
            slide, (PP_PLACEHOLDER.SUBTITLE, PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT)
        )
        paragraphs: list[Paragraph] = []
        if model.subtitle:
            paragraphs.append(Paragraph((Run(model.subtitle),)))
        others: list[Block] = []
        for block in model.blocks:
            if isinstance(block, TextBlock):
                if block.heading:
                    paragraphs.append(Paragraph((Run(block.heading, bold=True),)))
                paragraphs.extend(block.paragraphs)
            else:
                others.append(block)
        if ph is None or others:
            rect = self._geo(ph).rect if ph is not None else self._below_title(slide)
            if ph is not None:
                tpl.delete_shape(ph)
            blocks: list[Block] = []
            if paragraphs:
                blocks.append(TextBlock(tuple(paragraphs)))
            self._stack(slide, [*blocks, *others], rect)
            return
        if not paragraphs:
            return
        geo = self._geo(ph)
        base = geo.size or 20.0
        width, height = geo.inner_w_pt, geo.inner_h_pt
        items = [
            (
                ParaSpec(
                    bk.tokens(bk.pieces_from_paragraph(p)), space_before_pt=base * 0.3 if i else 0
                ),
                p,
            )
            for i, p in enumerate(paragraphs)
        ]
        result = fit(
            [spec for spec, _ in items],
            self.ctx.body_font,
            width,
            height,
            base,
            max(11.0, base * 0.55),
            step=0.5,
        )
        size = result.size
        if not result.fits:
            block = TextBlock(tuple(paragraphs))
            rect = geo.rect
            tpl.delete_shape(ph)
            self._note("cover text shortened to fit")
            bk.draw_text(self.ctx, slide, block, rect, size, size)
            return
        tf = ph.text_frame
        tf.word_wrap = True
        tf.auto_size = MSO_AUTO_SIZE.NONE
        for i, (spec, para) in enumerate(items):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            tpl.set_spacing(p, before_pt=spec.space_before_pt)
            bk.write(
                self.ctx, p, bk.pieces_from_paragraph(para), size if size != base else None, None
            )

    def _below_title(self, slide: Any) -> Rect:
        ph = _placeholder(slide, (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE))
        top = self._geo(ph).rect.bottom + int(0.2 * IN) if ph is not None else int(1.4 * IN)
        margin = int(0.6 * IN)
        bottom = self.prs.slide_height - int(0.75 * IN)
        return Rect(margin, top, self.prs.slide_width - 2 * margin, max(bottom - top, IN))

    # ----------------------------------------------------------------- body regions

    def _regions(self, slide: Any, role: str) -> list[Rect]:
        """Body rectangles from the layout's content placeholders (left to right), which are
        then deleted: blocks are drawn as shapes, and empty placeholders would show prompts."""
        phs = tpl.placeholders_of(
            slide,
            (
                PP_PLACEHOLDER.BODY,
                PP_PLACEHOLDER.OBJECT,
                PP_PLACEHOLDER.TABLE,
                PP_PLACEHOLDER.CHART,
                PP_PLACEHOLDER.SUBTITLE,
            ),
        )
        # Slide placeholders inherit their position from the layout: sort by that geometry.
        geos = [self._geo(ph) for ph in phs]
        order = sorted(range(len(phs)), key=lambda i: (geos[i].rect.x, geos[i].rect.y))
        phs = [phs[i] for i in order]
        rects = [geos[i].rect for i in order]
        for ph in phs:
            tpl.delete_shape(ph)
        if not rects:
            rects = [self._below_title(slide)]
        if role == "two_content":
            if len(rects) == 1:
                rects = rects[0].split_columns(2, COLUMN_GAP)
            return rects[:2]
        if role == "content" and len(rects) > 1:
            return [_union(rects)]  # a content role mapped to a multi-region layout
        return rects[:1]

    def _kicker(self, slide: Any, regions: list[Rect], text: str) -> list[Rect]:
        """A content slide's subtitle: one subtle line across the top of the body regions."""
        x0 = min(r.x for r in regions)
        x1 = max(r.right for r in regions)
        h = int(0.34 * IN)
        bk.one_line(
            self.ctx,
            slide,
            Rect(x0, regions[0].y, x1 - x0, h),
            text,
            size=14,
            min_size=10,
            colour=self.ctx.subtle,
            name="Subtitle",
        )
        shift = h + int(0.12 * IN)
        return [Rect(r.x, r.y + shift, r.w, r.h - shift) for r in regions]

    # ----------------------------------------------------------------- stacking blocks

    def _stack(self, slide: Any, blocks: Sequence[Block], region: Rect) -> list[_Overflow]:
        """Share `region` between blocks top to bottom.

        KPI rows and scores take their fixed height; text and tables their natural height;
        charts the rest (at least a readable minimum). When that is too much, tables give up
        rows first (they continue on another slide), then text shrinks to its floor size and,
        only as a last resort, is cut with the full text kept in the notes.
        """
        if not blocks:
            return []
        wide = region.w > 8 * IN
        text_base = 18.0 if wide else 14.0
        table_base = 14.0 if wide else 12.0
        avail = region.h - GAP * (len(blocks) - 1)
        fixed: dict[int, int] = {}
        nat: dict[int, int] = {}
        low: dict[int, int] = {}
        charts: list[int] = []
        plans: dict[int, bk.TablePlan] = {}
        for i, block in enumerate(blocks):
            if isinstance(block, KpiBlock):
                fixed[i] = bk.kpi_height(block, region.w)
            elif isinstance(block, ScoreBlock):
                fixed[i] = bk.SCORE_H
            elif isinstance(block, ChartBlock):
                charts.append(i)
                low[i] = bk.chart_min_height(self.ctx, block, region.w)
            elif isinstance(block, TableBlock):
                plan = bk.plan_table(self.ctx, block, region.w, table_base)
                plans[i] = plan
                nat[i] = plan.height()
                low[i] = plan.height(range(min(2, len(block.rows))))
            elif isinstance(block, TextBlock):
                nat[i] = bk.text_height(self.ctx, block, region.w, text_base)
                low[i] = bk.text_height(self.ctx, block, region.w, TEXT_FLOOR)
        rest = avail - sum(fixed.values()) - sum(low[i] for i in charts)
        heights: dict[int, int] = dict(fixed)
        tables = [i for i in nat if isinstance(blocks[i], TableBlock)]
        texts = [i for i in nat if isinstance(blocks[i], TextBlock)]
        if sum(nat.values()) <= rest:
            heights.update(nat)
        else:
            text_nat = sum(nat[i] for i in texts)
            table_low = sum(low[i] for i in tables)
            if text_nat + table_low <= rest:
                heights.update({i: nat[i] for i in texts})
                share = rest - text_nat
                total = sum(nat[i] for i in tables) or 1
                heights.update({i: int(share * nat[i] / total) for i in tables})
            else:
                heights.update({i: low[i] for i in tables})
                share = max(rest - table_low, 0)
                total = sum(nat[i] for i in texts) or 1
                heights.update({i: int(share * nat[i] / total) for i in texts})
        spare = avail - sum(heights.values()) - sum(low[i] for i in charts)
        for i in charts:
            heights[i] = low[i] + max(spare, 0) // len(charts)
        overflow: list[_Overflow] = []
        y = region.y
        for i, block in enumerate(blocks):
            h = max(0, min(heights.get(i, 0), region.bottom - y))
            rect = Rect(region.x, y, region.w, h)
            used = h
            if isinstance(block, KpiBlock):
                bk.draw_kpis(self.ctx, slide, block, rect)
            elif isinstance(block, ScoreBlock):
                bk.draw_score(self.ctx, slide, block, rect)
            elif isinstance(block, ChartBlock):
                bk.draw_chart(self.ctx, slide, block, rect)
            elif isinstance(block, TableBlock):
                rows = list(range(len(block.rows)))
                done, used, size = self._table_rows(
                    slide, block, rows, rect, base=table_base, balance=len(blocks) == 1
                )
                if done < len(rows):
                    overflow.append(_Overflow(block, rows[done:], size))
            elif isinstance(block, TextBlock):
                size, cut = bk.draw_text(self.ctx, slide, block, rect, text_base, TEXT_FLOOR)
                if cut:
                    self._note("text cut to fit (full text in the notes)")
                    self.slide_notes.append("Full text: " + _block_text(block))
                elif size < text_base:
                    self._note(f"text shrunk from {text_base:g} to {size:g} pt")
                used = min(h, bk.text_height(self.ctx, block, region.w, size))
                if bk.is_all_placeholder(block):
                    used = h
            y += used + GAP
        return overflow

    def _table_rows(
        self,
        slide: Any,
        block: TableBlock,
        rows: list[int],
        rect: Rect,
        *,
        base: float,
        floor: float = TABLE_FLOOR,
        continued: bool = False,
        balance: bool = False,
    ) -> tuple[int, int, float]:
        """Draw as many of `rows` as fit in `rect` (at least one).

        Returns (rows drawn, height used, text size).

        With `balance`, rows are spread evenly over the slides needed (34 rows at 15 a slide
        become 12 + 11 + 11, not 15 + 15 + 4): a continuation slide with four rows looks like
        an accident.
        """
        sub = TableBlock(
            block.columns,
            tuple(block.rows[i] for i in rows),
            caption=block.caption,
            widths=block.widths,
        )
        plan, fits = bk.choose_table_plan(self.ctx, sub, rect.w, rect.h, base, floor)
        if fits:
            count = len(rows)
        else:
            budget = rect.h - plan.caption_h - plan.header_h
            count, used = 0, 0
            for h in plan.row_hs:
                if used + h > budget and count:
                    break
                used += h
                count += 1
            if balance:
                count = math.ceil(len(rows) / math.ceil(len(rows) / count))
        if plan.size < base and fits:
            self._note(f"table text shrunk from {base:g} to {plan.size:g} pt")
        caption = (block.caption + (CONT if continued else "")) if block.caption else None
        height = bk.draw_table(
            self.ctx, slide, sub, plan, list(range(count)), rect, caption=caption
        )
        return count, height, plan.size


# --------------------------------------------------------------------------- helpers


def _placeholder(slide: Any, types: Sequence[Any]) -> Any | None:
    return tpl.find_placeholder(slide, types)


def _union(rects: Sequence[Rect]) -> Rect:
    x0, y0 = min(r.x for r in rects), min(r.y for r in rects)
    x1, y1 = max(r.right for r in rects), max(r.bottom for r in rects)
    return Rect(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class _Geometry:
    rect: Rect
    size: float | None
    bold: bool
    inner_w_pt: float
    inner_h_pt: float


def _geometry(ph: Any) -> _Geometry:
    rect = Rect(int(ph.left or 0), int(ph.top or 0), int(ph.width or 0), int(ph.height or 0))
    left, top, right, bottom = tpl.placeholder_insets(ph)
    return _Geometry(
        rect=rect,
        size=tpl.placeholder_font_size(ph),
        bold=tpl.placeholder_is_bold(ph),
        inner_w_pt=pt(rect.w - left - right),
        inner_h_pt=pt(rect.h - top - bottom),
    )


def _block_text(block: TextBlock) -> str:
    lines = [block.heading] if block.heading else []
    lines += [p.text for p in block.paragraphs]
    return bk.clean(" / ".join(lines))


__all__ = ["RenderReport", "render_pptx"]
