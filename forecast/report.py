"""The negotiation PDF: one scenario's plan as the document a buyer takes to the table.

Pages, in order: the summary (the number, its risk, the stranded-savings flag, the walk-back
exposure and a three-line conclusion), the forecast, the commitment options, where the
savings come from, the sensitivity tornado and an assumptions appendix. A footer on every
page carries the scenario's name and ``page N of M``.

Every figure comes from a :class:`~forecast.plan.Plan` and every chart from
:mod:`forecast.charts` (the app's definitions), rendered offline to SVG by vl-convert and
drawn as vector graphics through svglib. The fonts ship with the package
(``forecast/data/fonts/``) and are embedded as subsets: DejaVu Sans for Latin, Greek and
Cyrillic, DejaVu Sans Condensed for the dense tables, Droid Sans Fallback for CJK. reportlab
has no per-glyph fallback, so user text (scenario and workload names) is escaped and then
split into runs, each set in the first font that has its glyphs.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from forecast.errors import PlannerError
from forecast.formatting import pct, usd
from forecast.types import LEVERS, FlagLevel

if TYPE_CHECKING:
    import altair as alt
    from reportlab.graphics.shapes import Drawing
    from reportlab.platypus import Flowable

    from forecast.plan import Flag, Plan
    from forecast.recommendation import CommitmentResult
    from forecast.scenario import LeverSet, Workload

FONT_DIR = Path(__file__).parent / "data" / "fonts"
BODY, BOLD = "DejaVuSans", "DejaVuSans-Bold"
NARROW, NARROW_BOLD = "DejaVuSansCondensed", "DejaVuSansCondensed-Bold"
FALLBACK = "DroidSansFallback"
_FONT_FILES = {
    BODY: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    NARROW: "DejaVuSansCondensed.ttf",
    NARROW_BOLD: "DejaVuSansCondensed-Bold.ttf",
    FALLBACK: "DroidSansFallbackFull.ttf",
}
#: The family name charts are set in (vl-convert measures with it, svglib draws with it).
CHART_FONT = "DejaVu Sans"

INK = "#1f2328"
MUTED = "#57606a"
RULE = "#d0d7de"
SHADE = "#f6f8fa"
ACCENT = "#1f6feb"

MARGIN = 0.6 * 72  # points; US Letter portrait
FOOTER_RULE = 0.62 * 72  # height of the footer's rule above the page's bottom edge


# --------------------------------------------------------------------------- fonts
@cache
def _fonts() -> frozenset[int]:
    """Register the bundled DejaVu TTFs with reportlab (once per process); returns the code
    points DejaVu Sans covers."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    body = None
    for name in (BODY, BOLD, NARROW, NARROW_BOLD):
        font = TTFont(name, str(FONT_DIR / _FONT_FILES[name]))
        pdfmetrics.registerFont(font)
        body = body or font
    # <b> inside a paragraph looks the bold face up by family.
    for regular, bold in ((BODY, BOLD), (NARROW, NARROW_BOLD)):
        _family(regular, bold)
    assert body is not None
    return frozenset(body.face.charToGlyph)


def _family(regular: str, bold: str) -> None:
    from reportlab.lib.fonts import addMapping

    addMapping(regular, 0, 0, regular)
    addMapping(regular, 0, 1, regular)
    addMapping(regular, 1, 0, bold)
    addMapping(regular, 1, 1, bold)


@cache
def _fallback() -> frozenset[int]:
    """Register Droid Sans Fallback (CJK) on first need: it is 4 MB to parse."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    font = TTFont(FALLBACK, str(FONT_DIR / _FONT_FILES[FALLBACK]))
    pdfmetrics.registerFont(font)
    _family(FALLBACK, FALLBACK)
    return frozenset(font.face.charToGlyph)


def text(value: object) -> str:
    """User text as reportlab paragraph markup that prints as written.

    Escapes ``&``, ``<`` and ``>`` (a paragraph parses its text as markup), replaces control
    characters by spaces and lone surrogates (which cannot be encoded) by U+FFFD, and sets
    each run of characters DejaVu Sans lacks but Droid Sans Fallback has (CJK) in the
    fallback font. A character neither font has prints as an empty box.
    """
    covered = _fonts()
    runs: list[tuple[bool, list[str]]] = []
    for ch in str(value):
        category = unicodedata.category(ch)
        if category == "Cc":
            ch = " "
        elif category == "Cs":
            ch = "\ufffd"
        code = ord(ch)
        fallback = code not in covered and code in _fallback()
        if ch == " " and runs:
            fallback = runs[-1][0]
        if runs and runs[-1][0] == fallback:
            runs[-1][1].append(ch)
        else:
            runs.append((fallback, [ch]))
    out = []
    for fallback, chars in runs:
        run = escape("".join(chars))
        out.append(f'<font name="{FALLBACK}">{run}</font>' if fallback else run)
    return "".join(out)


# --------------------------------------------------------------------------- styles
@cache
def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    _fonts()
    ink, muted = colors.HexColor(INK), colors.HexColor(MUTED)
    base = ParagraphStyle("body", fontName=BODY, fontSize=8.6, leading=11.6, textColor=ink,
                          alignment=TA_LEFT, spaceAfter=4)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=17, leading=21,
                                spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9, leading=12,
                                   textColor=muted, spaceAfter=8),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=13.5, leading=17,
                             spaceBefore=0, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=10, leading=13,
                             spaceBefore=8, spaceAfter=4),
        "note": ParagraphStyle("note", parent=base, fontSize=7.4, leading=9.6,
                               textColor=muted, spaceAfter=6),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, fontSize=7, leading=9,
                                textColor=muted, spaceAfter=0),
        "figure": ParagraphStyle("figure", parent=base, fontName=BOLD, fontSize=13,
                                 leading=16, spaceAfter=0),
        "headline": ParagraphStyle("headline", parent=base, fontName=BOLD, fontSize=20,
                                   leading=24, textColor=colors.HexColor(ACCENT),
                                   spaceAfter=2),
        "conclusion": ParagraphStyle("conclusion", parent=base, fontSize=8.8, leading=11.8,
                                     spaceAfter=3),
        "tile_note": ParagraphStyle("tile_note", parent=base, fontSize=6.8, leading=8.4,
                                    textColor=muted, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontName=NARROW, fontSize=7.4,
                               leading=9, spaceAfter=0),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontName=NARROW,
                                     fontSize=7.4, leading=9, alignment=TA_RIGHT,
                                     spaceAfter=0),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=NARROW_BOLD,
                                    fontSize=7.4, leading=9, spaceAfter=0),
        "cell_head_right": ParagraphStyle("cell_head_right", parent=base,
                                          fontName=NARROW_BOLD, fontSize=7.4, leading=9,
                                          alignment=TA_RIGHT, spaceAfter=0),
        "chip": ParagraphStyle("chip", parent=base, fontName=BOLD, fontSize=7, leading=9,
                               textColor=colors.white, alignment=1, spaceAfter=0),
        "footer": ParagraphStyle("footer", parent=base, fontSize=7, leading=9,
                                 textColor=muted, spaceAfter=0),
    }


def _p(markup: str, style: str = "body") -> Flowable:
    from reportlab.platypus import Paragraph

    return Paragraph(markup, _styles()[style])


# --------------------------------------------------------------------------- pieces
def _flag_colour(level: FlagLevel | str) -> str:
    from forecast.charts import FLAG_COLOURS

    return FLAG_COLOURS[str(level)]


def _amount(result: CommitmentResult) -> str:
    """Annual amount, or one amount per year for a ramp."""
    if result.is_ramp:
        return " / ".join(usd(c) for c in result.per_year)
    return usd(result.annual_commit)


def _discount(result: CommitmentResult) -> str:
    if len(set(result.discount.tolist())) > 1:
        return " / ".join(pct(d) for d in result.discount)
    return pct(float(result.discount[0]))


def _chip(level: FlagLevel | str) -> Flowable:
    return _p(str(level).upper(), "chip")


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]], width: float,
           shares: Sequence[float | None], right: Iterable[int] = (),
           chips: dict[tuple[int, int], str] | None = None,
           highlight: Iterable[int] = ()) -> Flowable:
    """A table with a repeated header, zebra rows and right-aligned number columns.

    Parameters
    ----------
    rows : iterable of sequences
        Cells are plain text (escaped here) or flowables (used as they are).
    width : float
        Total width in points.
    shares : sequence of float or None
        Per column: ``None`` fits the column to its widest text (numbers never wrap); a
        float is a weight in the width left over.
    chips : dict of (column, row) to flag level
        Cells filled with the flag's colour; row 0 is the first data row.
    highlight : iterable of int
        Data rows shaded as the recommendation.
    """
    from reportlab.lib import colors
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    right = set(right)
    styles = _styles()
    rows = [list(r) for r in rows]
    size = styles["cell"].fontSize
    pad = 6.5
    fitted: dict[int, float] = {}
    for i, share in enumerate(shares):
        if share is not None:
            continue
        texts = [line for r in rows if isinstance(r[i], str) for line in r[i].split("\n")]
        widest = max((stringWidth(t, NARROW, size) for t in texts), default=0.0)
        word = max((stringWidth(w, NARROW_BOLD, size) for w in header[i].split()),
                   default=0.0)
        fitted[i] = max(widest, word) + pad
    left = width - sum(fitted.values())
    weight = sum(s for s in shares if s is not None) or 1.0
    widths = [fitted[i] if s is None else left * s / weight for i, s in enumerate(shares)]

    data: list[list[Any]] = [[Paragraph(text(h), styles["cell_head_right" if i in right
                                                       else "cell_head"])
                              for i, h in enumerate(header)]]
    for row in rows:
        data.append([Paragraph("<br/>".join(text(line) for line in cell.split("\n")),
                               styles["cell_right" if i in right else "cell"])
                     if isinstance(cell, str) else cell for i, cell in enumerate(row)])
    commands: list[tuple[Any, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), BODY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(INK)),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, colors.HexColor(RULE)),
    ]
    for r in range(2, len(data), 2):
        commands.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor(SHADE)))
    for r in highlight:
        commands.append(("BACKGROUND", (0, r + 1), (-1, r + 1), colors.HexColor("#ddf4ff")))
    for (c, r), level in (chips or {}).items():
        commands.append(("BACKGROUND", (c, r + 1), (c, r + 1),
                         colors.HexColor(_flag_colour(level))))
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table


def _box(flowables: list[Flowable], width: float, fill: str, edge: str,
         padding: float = 7) -> Flowable:
    """Flowables in a shaded box with a coloured left edge."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    box = Table([[flowables]], colWidths=[width], hAlign="LEFT")
    box.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), BODY),  # else reportlab sets Helvetica per cell
        ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(fill)),
        ("LINEBEFORE", (0, 0), (0, -1), 3, colors.HexColor(edge)),
        ("LEFTPADDING", (0, 0), (-1, -1), padding + 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), padding),
        ("TOPPADDING", (0, 0), (-1, -1), padding - 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), padding - 1),
    ]))
    return box


@cache
def _svg_font_map() -> Any:
    """svglib font map that sets every chart text in the bundled (embedded) DejaVu Sans."""
    from svglib.fonts import FontMap

    class ChartFonts(FontMap):
        def find_font(self, font_name: str, weight: str = "normal", style: str = "normal"
                      ) -> tuple[str, bool]:
            bold = str(weight).lower() in ("bold", "bolder", "600", "700", "800", "900")
            return (BOLD if bold else BODY), True

    _fonts()
    return ChartFonts()


def _opacity_to_fill_stroke(svg: str) -> bytes:
    """Rewrite each element's ``opacity`` as fill and stroke opacity; drop invisible ones.

    svglib reads ``fill-opacity`` and ``stroke-opacity`` but ignores ``opacity``, which Vega
    writes for translucent bands and for the axis labels it hides to avoid overlaps
    (``opacity="0"``): without this, bands print solid and hidden labels collide.
    """
    from lxml import etree

    root = etree.fromstring(svg.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    hidden = []
    for element in root.iter():
        value = element.attrib.pop("opacity", None)
        if value is None:
            continue
        opacity = float(value)
        if opacity <= 0.0:
            hidden.append(element)
            continue
        for attr in ("fill-opacity", "stroke-opacity"):
            element.set(attr, f"{opacity * float(element.get(attr, '1')):g}")
    for element in hidden:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return etree.tostring(root)


@cache
def _vl_fonts() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(FONT_DIR))


def chart_drawing(chart: alt.TopLevelMixin, width: float) -> Drawing:
    """A chart as a reportlab vector drawing ``width`` points wide.

    The chart is one of :mod:`forecast.charts`; only its font is configured here, to the
    bundled DejaVu Sans, so that the PDF embeds every glyph it shows.
    """
    from svglib.svglib import svg2rlg

    from forecast.charts import to_svg

    _vl_fonts()
    svg = _opacity_to_fill_stroke(to_svg(chart.configure(font=CHART_FONT)))
    drawing = svg2rlg(io.BytesIO(svg), font_map=_svg_font_map())
    if drawing is None:  # pragma: no cover - vl-convert always returns an SVG
        raise RuntimeError("svglib could not read the chart's SVG")
    factor = width / drawing.width
    drawing.width, drawing.height = drawing.width * factor, drawing.height * factor
    drawing.scale(factor, factor)
    drawing.hAlign = "CENTER"
    drawing.initialFontName = BODY  # else the renderer declares Helvetica (not embedded)
    return drawing


# --------------------------------------------------------------------------- footer
def _canvas_maker(scenario_name: str, generated: dt.date) -> type:
    """A canvas that holds its pages back to print ``page N of M`` in every footer."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    name = scenario_name if len(scenario_name) <= 70 else scenario_name[:69] + "…"
    left = f"{text(name)} · commitment plan · {generated.isoformat()}"

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width, _height = self._pagesize
            self.setStrokeColor(colors.HexColor(RULE))
            self.setLineWidth(0.5)
            self.line(MARGIN, FOOTER_RULE, width - MARGIN, FOOTER_RULE)
            para = Paragraph(left, _styles()["footer"])
            _w, h = para.wrap(width - 2 * MARGIN - 80, 20)
            para.drawOn(self, MARGIN, FOOTER_RULE - 4 - h)
            self.setFont(BODY, 7)
            self.setFillColor(colors.HexColor(MUTED))
            self.drawRightString(width - MARGIN, FOOTER_RULE - 11,
                                 f"page {self._pageNumber} of {total}")

    return NumberedCanvas


# --------------------------------------------------------------------------- pages


def _tier_text(plan: Plan, result: CommitmentResult) -> str:
    """Which discount a commitment earns, as a phrase after "it"."""
    if result.is_ramp:
        return f"earns a discount of {_discount(result)} by year"
    if result.annual_commit <= 0:
        return "earns no discount (no commitment)"
    earned = [t for t in plan.scenario.contract.discount_tiers
              if t.min_annual_commit <= result.annual_commit]
    if not earned:
        return "earns no discount (below the first tier)"
    tier = earned[-1]
    return (f"earns the {pct(tier.discount)} discount tier (commit at least "
            f"{usd(tier.min_annual_commit)} a year)")


def _land_first(plan: Plan) -> tuple[list[str], float, float, int]:
    """Workloads to land before signing: the leaders of the migration order that together
    carry at least 60% of the monthly saving, at most three.

    Returns (names, their monthly saving, the total monthly saving, how many other
    workloads save something).
    """
    a = plan.projection.attribution
    order = sorted(range(len(plan.projection.workloads)), key=lambda i: a.migration_order[i])
    positive = [i for i in order if a.saving_per_month[i] > 0]
    total = float(sum(a.saving_per_month[i] for i in positive))
    names: list[str] = []
    carried = 0.0
    for i in positive:
        if len(names) == 3 or (names and carried >= 0.6 * total):
            break
        names.append(plan.projection.workloads[i])
        carried += float(a.saving_per_month[i])
    return names, carried, total, len(positive) - len(names)


def _join(names: Sequence[str]) -> str:
    marked = [text(n) for n in names]
    if len(marked) <= 1:
        return "".join(marked)
    return ", ".join(marked[:-1]) + " and " + marked[-1]


def conclusion(plan: Plan) -> list[str]:
    """The three-line conclusion, "optimize, then commit", as paragraph markup.

    1. Optimize first: the leaders of the migration order to land before signing (at most
       three, as many as carry 60% of the monthly saving), with their share of it.
    2. Then commit: the recommended amount, its discount, expected cost, saving against
       today's path and shortfall chance; or commit nothing when no tier pays for its risk.
    3. The trap: the recommended commitment's own stranding when its flag is amber or red;
       else what a commitment sized on today's spend would strand; else that nothing
       strands. A red walk-back exposure is added to it.
    """
    rec = plan.recommendation
    r = rec.recommended
    names, carried, total, n_more = _land_first(plan)
    if names:
        more = f"; {n_more} more follow in migration order" if n_more > 0 else ""
        verb = "they carry" if len(names) > 1 else "it carries"
        first = (f"<b>Optimize first.</b> Land {_join(names)} before signing: {verb} "
                 f"{usd(carried)} ({pct(carried / total)}) of the {usd(total)} a month the "
                 f"plan saves once in place{more}.")
    else:
        first = ("<b>Optimize first.</b> This plan has no optimization saving to land: the "
                 "commitment below is sized on today's usage.")
    if r.per_year.sum() > 0:
        second = (f"<b>Then commit</b> {_amount(r)} a year, sized on the optimized usage: it "
                  f"{_tier_text(plan, r)}. Expected cost {usd(r.expected_cost)} over the "
                  f"term, {usd(r.saving_vs_current)} below today's path at list, with a "
                  f"{pct(r.shortfall_probability)} chance that some year falls short.")
    else:
        second = ("<b>Then commit nothing yet:</b> no discount tier pays for its shortfall "
                  "risk at the optimized usage; buy at list and revisit once the "
                  "optimizations have landed.")
    base = rec.baseline_sized
    if r.flag in (FlagLevel.AMBER, FlagLevel.RED) and r.stranded_savings > 0.5:
        third = (f"<b>Watch the floor:</b> even the recommended commitment strands "
                 f"{usd(r.stranded_savings)} ({pct(r.stranded_share)} of the savings); "
                 f"commit at most {usd(rec.safe_commit.annual_commit)} a year, or ramp "
                 f"{_amount(rec.ramp)}.")
    elif base.stranded_savings > 0.5 and base.flag != FlagLevel.GREEN:
        third = (f"<b>Do not size it on today's bill:</b> a commitment sized on today's spend "
                 f"({_amount(base)} a year) would strand {usd(base.stranded_savings)}, "
                 f"{pct(base.stranded_share)} of the savings, under the commitment floor.")
    else:
        third = ("<b>Nothing strands:</b> at the recommended size every dollar the "
                 "optimizations save lowers the bill.")
    if plan.walk_back.level == FlagLevel.RED:
        third += (f" Batch only what truly waits: walking the gray workloads back would add "
                  f"{usd(plan.walk_back.extra_cost)}.")
    return [first, second, third]


def _lines(values: Sequence[str]) -> str:
    """One value per line in a table cell (a ramp's years)."""
    return "\n".join(values)


def _amount_cell(result: CommitmentResult) -> str:
    return _lines([usd(c) for c in result.per_year]) if result.is_ramp \
        else usd(result.annual_commit)


def _discount_cell(result: CommitmentResult) -> str:
    if len(set(result.discount.tolist())) > 1:
        return _lines([pct(d) for d in result.discount])
    return pct(float(result.discount[0]))


def _why_recommended(plan: Plan) -> str:
    rec = plan.recommendation
    r = rec.recommended
    if r.per_year.sum() <= 0:
        return (f"No commitment within your {pct(rec.appetite)} shortfall appetite earns a "
                "discount that lowers the expected cost: pay as you go at list, and revisit "
                "once the optimizations have landed.")
    return (f"It {_tier_text(plan, r)}. Of all commitments whose shortfall probability stays "
            f"within your {pct(rec.appetite)} appetite, it has the lowest expected cost. Sized "
            "on the optimized usage, not on today's bill.")


def _summary(plan: Plan, generated: dt.date, width: float) -> list[Flowable]:
    from reportlab.lib import colors
    from reportlab.platypus import Spacer, Table, TableStyle

    sc, rec, book = plan.scenario, plan.recommendation, plan.book
    r = rec.recommended
    c = sc.contract
    story: list[Flowable] = [
        _p(text(sc.name), "title"),
        _p(f"Commitment plan · prepared {generated.isoformat()} · price book "
           f"{text(book.id)} (effective {book.effective_date.isoformat()}) · {c.years}-year "
           f"contract from {sc.start} · {plan.n_paths:,} simulated paths, seed {plan.seed}",
           "subtitle"),
    ]
    years = " / ".join(str(i + 1) for i in range(c.years))
    story.append(_box([
        _p("RECOMMENDED COMMITMENT", "label"),
        _p(f"{_amount(r)} a year" + (f" (years {years})" if r.is_ramp else "")
           + (" (no commitment)" if r.per_year.sum() <= 0 else ""), "headline"),
        _p(_why_recommended(plan), "body"),
    ], width, "#f0f6ff", ACCENT))
    story.append(Spacer(1, 5))

    tiles = [
        (f"EXPECTED COST, {c.years}-YEAR TERM", usd(r.expected_cost),
         f"P10 {usd(r.cost_p10)} · P90 {usd(r.cost_p90)}"),
        ("SAVING VS LIST PRICE", usd(r.saving_vs_list),
         "against paying list for the optimized usage"),
        ("SAVING VS TODAY'S PATH", usd(r.saving_vs_current),
         "against today's usage at list: no optimization, no commitment"),
        ("SHORTFALL PROBABILITY", pct(r.shortfall_probability),
         "chance some year's usage falls below the commitment"),
    ]
    cells = [[_p(label, "label"), _p(value, "figure"), _p(note, "tile_note")]
             for label, value, note in tiles]
    tile_table = Table([cells], colWidths=[w * width for w in (0.3, 0.24, 0.24, 0.22)],
                       hAlign="LEFT")
    tile_table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), BODY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEAFTER", (0, 0), (-2, -1), 0.5, colors.HexColor(RULE)),
        ("LEFTPADDING", (0, 0), (-1, -1), 8),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]))
    story += [tile_table, Spacer(1, 7)]

    story.append(_box([_p("OPTIMIZE, THEN COMMIT", "label")]
                      + [_p(f"{i}. {line}", "conclusion")
                         for i, line in enumerate(conclusion(plan), 1)],
                      width, SHADE, INK))

    story.append(_p("The options on the table (money over the whole term)", "h2"))
    options: list[tuple[str, str, CommitmentResult]] = [
        ("Recommended", "lowest expected cost within the appetite", r),
        ("Risk-neutral", "lowest expected cost, whatever the risk", rec.risk_neutral),
        ("Risk-bounded", f"the most within a {pct(rec.appetite)} shortfall chance",
         rec.risk_bounded),
        ("Ramp", "each year sized on its own usage"
         + (" (advised: usage grows)" if rec.ramp_advised else ""), rec.ramp),
        ("Sized on today's spend", "what today's unoptimized bill suggests",
         rec.baseline_sized),
    ]
    for named in plan.named:
        if named.label == "scenario commitment":
            options.append(("Scenario commitment", "the amount named in the scenario", named))
        else:
            options.append(("--commit", "asked for on the command line", named))
    rows, chips = [], {}
    for i, (label, what, res) in enumerate(options):
        rows.append([_p(f"<b>{text(label)}</b> "
                        f'<font size="6.6" color="{MUTED}">{text(what)}</font>', "cell"),
                     _amount_cell(res), _discount_cell(res), usd(res.expected_cost),
                     usd(res.saving_vs_current), pct(res.shortfall_probability),
                     usd(res.stranded_savings), _chip(res.flag)])
        chips[(7, i)] = str(res.flag)
    story.append(_table(
        ["option", "annual commitment", "discount", "expected cost", "saving vs today",
         "shortfall", "stranded", "flag"],
        rows, width, [1, None, None, None, None, None, None, 0.16],
        right={1, 2, 3, 4, 5, 6}, chips=chips, highlight=[0]))

    story.append(_p("Stranded savings and walk-back exposure", "h2"))
    # The definition goes above the table: if many flags spill to page two, rows follow.
    story.append(_p(
        "Stranded savings: optimization savings that no longer lower the bill because usage "
        "falls under the commitment floor (unused commitment is paid anyway). Green up to "
        f"{pct(c.stranded_thresholds.amber)} of the gross savings, amber up to "
        f"{pct(c.stranded_thresholds.red)}, red above.", "note"))
    story.append(_flag_table(_summary_flags(plan), width))
    return story


def _summary_flags(plan: Plan) -> list[Flag]:
    """Stranded savings and walk-back; a named commitment's shortfall flag goes with the
    options (its probability is in the summary's options table)."""
    return [f for f in plan.flags if f.kind in ("stranded_savings", "walk_back")]


def _flag_table(flags: Sequence[Flag], width: float) -> Flowable:
    rows, chips = [], {}
    for f in flags:
        rows.append([_chip(f.level), _flag_text(f)])
        chips[(0, len(rows) - 1)] = str(f.level)
    return _table(["flag", "finding"], rows, width, [0.085, 0.915], chips=chips)


def _flag_text(flag: Flag) -> Flowable:
    if flag.kind == "stranded_savings":
        head = (f"Stranded savings: {usd(flag.amount)}, {pct(flag.share or 0.0)} of the "
                "gross savings.")
    elif flag.kind == "walk_back":
        head = f"Walk-back exposure: {usd(flag.amount)} more over the term."
    elif flag.kind == "shortfall":
        head = f"Shortfall: a {pct(flag.share or 0.0)} chance."
    else:  # the plan's warnings (waiting test, caching break-even) say it all themselves
        return _p(text(flag.message), "cell")
    return _p(f"<b>{head}</b> {text(flag.message)}", "cell")


def _forecast(plan: Plan, width: float) -> list[Flowable]:
    import numpy as np

    from forecast.charts import fan_chart

    r = plan.recommendation.recommended
    story: list[Flowable] = [
        _p("Forecast: monthly spend, today's path against the optimized one", "h1"),
        chart_drawing(fan_chart(plan), width),
        _p(f"List spend per month over {plan.n_paths:,} simulated paths: the band spans P10 to "
           "P90, the line is the median. Grey is today's path (no optimization), blue the "
           "optimized one, each workload's optimizations landing in their month and ramping "
           "in (later if they slip, partly if they under-deliver). The red dashed line is the "
           "recommended commitment per month (annual / 12).", "note"),
        _p("By contract year (list prices; the commitment draws down at the discounted "
           "rate)", "h2"),
    ]
    cur, opt = plan.yearly_current, plan.yearly_optimized
    p10, p90 = np.quantile(opt, 0.1, axis=0), np.quantile(opt, 0.9, axis=0)
    rows = []
    for y in range(plan.scenario.contract.years):
        commit, d = float(r.per_year[y]), float(r.discount[y])
        rows.append([f"year {y + 1}", usd(float(cur[:, y].mean())),
                     usd(float(opt[:, y].mean())), usd(float(p10[y])), usd(float(p90[y])),
                     usd(commit), pct(d), usd(commit / (1.0 - d))])
    story.append(_table(
        ["contract year", "today's path (mean)", "optimized (mean)", "optimized P10",
         "optimized P90", "recommended commitment", "discount", "list usage it covers"],
        rows, width, [1, 1, 1, 1, 1, 1, 0.7, 1], right=range(1, 8)))
    story.append(_p("List usage it covers: the commitment divided by one minus the discount, "
                    "the list spend that draws it down in full.", "note"))
    return story


def _options(plan: Plan, width: float) -> list[Flowable]:
    from forecast.charts import cost_curve

    rec = plan.recommendation
    c = plan.scenario.contract
    overage = "the discounted rate" if str(c.overage) == "discounted" else "list price"
    story: list[Flowable] = [
        _p("Commitment options", "h1"),
        chart_drawing(cost_curve(plan, height=220), width * 0.92),
        _p("Top: expected cost over the term for each flat annual commitment; the dotted "
           "verticals are the discount tiers' thresholds. Bottom: the chance that some "
           f"contract year's usage falls short of the commitment (dashed: the "
           f"{pct(rec.appetite)} appetite).", "note"),
        _p(f"Candidate commitments (money over the {c.years}-year term; overage billed at "
           f"{overage})", "h2"),
    ]
    rows, chips, highlight = [], {}, []
    for i, cand in enumerate(plan.candidates):
        rows.append(["" if cand.label == "grid" else cand.label, _amount_cell(cand),
                     _discount_cell(cand), usd(cand.expected_cost), usd(cand.cost_p10),
                     usd(cand.cost_p90), pct(cand.shortfall_probability),
                     usd(cand.expected_unused), usd(cand.expected_overage),
                     usd(cand.stranded_savings), _chip(cand.flag)])
        chips[(10, i)] = str(cand.flag)
        if cand is rec.recommended:
            highlight.append(i)
    story.append(_table(
        ["", "annual commitment", "discount", "expected cost", "P10", "P90", "shortfall",
         "unused", "overage", "stranded", "flag"],
        rows, width, [1, *[None] * 9, 0.55], right=range(1, 10), chips=chips,
        highlight=highlight))
    story.append(_p(
        "P10 / P90: the cost over the term on the luckiest and the unluckiest tenth of "
        "paths. Shortfall: the chance that some year's usage falls below the commitment. "
        "Unused: expected commitment paid but not used. Overage: expected spend beyond the "
        "commitment. Stranded: expected optimization savings lost under the floor; the flag "
        "grades them as a share of the gross savings.", "note"))
    shortfalls = [f for f in plan.flags if f.kind == "shortfall"]
    if shortfalls:
        story.append(_p("Shortfall risk of the commitments you named", "h2"))
        story.append(_flag_table(shortfalls, width))
    return story


def _savings(plan: Plan, width: float) -> list[Flowable]:
    from reportlab.platypus import KeepTogether

    from forecast.charts import shapley_chart, waterfall_chart

    proj = plan.projection
    a = proj.attribution
    total = a.total_saving
    n = len(proj.months)
    story: list[Flowable] = [
        _p("Where the savings come from", "h1"),
        _p(f"Over the {n}-month horizon the plan takes spend at list from "
           f"{usd(a.current_total)} to {usd(a.optimized_total)}: {usd(total)} saved "
           f"({pct(total / a.current_total if a.current_total else 0.0)}). The levers "
           "multiply, so a sequential waterfall depends on its order; the Shapley split "
           "averages each lever over all six orders and is order-free.", "body"),
        chart_drawing(shapley_chart(proj, width=560, height=100), width * 0.9),
        chart_drawing(waterfall_chart(proj, width=560, height=200), width * 0.9),
    ]
    steps = dict(a.waterfall)
    rows = [[str(lv), usd(a.shapley[lv]), pct(a.shapley[lv] / total if total else 0.0, 1),
             usd(steps[lv])] for lv in LEVERS]
    story.append(_table(["lever", "Shapley saving", "share", "waterfall step"], rows,
                        width * 0.5, [1, None, None, None], right={1, 2, 3}))
    summary = proj.summary().sort_values("migration_order")
    rows = []
    for row in summary.itertuples(index=False):
        rows.append([str(row.migration_order), row.workload, row.waiting,
                     pct(row.batch_eligible_share), usd(row.current_total),
                     usd(row.optimized_total), usd(row.saving), usd(row.saving_per_month)])
    # Heading, table and note move to the next page together rather than split.
    story.append(KeepTogether([
        _p("Workloads in migration order (largest monthly saving first)", "h2"),
        _table(["#", "workload", "waiting", "batchable", f"today's path, {n} months",
                f"optimized, {n} months", "saving", "saving a month"],
               rows, width, [None, 1, None, None, None, None, None, None],
               right={0, 3, 4, 5, 6, 7}),
        _p("Waiting: interactive (someone waits on every result: stays real time), async "
           "(nobody waits: batch candidate) or gray (an acceptable latency and an urgent "
           "share that must stay real time). Batchable: the share that passes this waiting "
           "test. Saving a month: at today's volume once the workload's plan has fully "
           "landed; it sets the migration order.", "note"),
    ]))
    checks = [f for f in plan.flags if f.kind in ("waiting_test", "caching_break_even")]
    if checks:
        story.append(_p("Checks on the plan", "h2"))
        story.append(_flag_table(checks, width))
    return story


def _sensitivity(plan: Plan, width: float) -> list[Flowable]:
    from forecast.charts import tornado_chart
    from forecast.sensitivity import SENSITIVITY_PATHS

    story: list[Flowable] = [_p("Sensitivity: what moves the commitment most", "h1")]
    rows_in = plan.sensitivity
    if not rows_in:
        story.append(_p("The sensitivity tornado was not computed for this export. Export "
                        "again without --no-sensitivity to add it.", "body"))
        return story
    paths = min(SENSITIVITY_PATHS, plan.n_paths)
    story += [
        chart_drawing(tornado_chart(rows_in), width * 0.92),
        _p("Each assumption set to its low and its high value, everything else as in the "
           f"scenario, re-simulated on {paths:,} paths with the same seed (common random "
           "numbers: the difference is the assumption's effect, not noise). Measured on the "
           "risk-bounded annual commitment, which moves continuously; the recommended one "
           "often sits on a tier edge and moves in steps (last column).", "note"),
    ]
    rows = [[r.assumption, r.low_label, usd(r.low), r.high_label, usd(r.high), usd(r.swing),
             f"{usd(r.recommended_low)} / {usd(r.recommended_high)}"] for r in rows_in]
    story.append(_table(
        ["assumption", "low", "risk-bounded at low", "high", "risk-bounded at high",
         "swing", "recommended at low / high"],
        rows, width, [1, 0.8, None, 0.8, None, None, None], right={2, 4, 5, 6}))
    story.append(_p(f"Base: risk-bounded {usd(rows_in[0].base)} a year, recommended "
                    f"{usd(rows_in[0].recommended_base)} a year.", "note"))
    return story


def _levers(levers: LeverSet) -> str:
    """Models on the first line; batch and caching on the second."""
    models = ", ".join(f"{m} {pct(s)}" for m, s in levers.models.items())
    parts = [f"batch {pct(levers.batch_share)}"]
    if str(levers.cache_ttl) != "none":
        hit = f"cache hits {pct(levers.cache_hit_rate)} ({levers.cache_ttl})"
        if levers.batch_cache_hit_rate is not None:
            hit += f", {pct(levers.batch_cache_hit_rate)} in batch"
        parts.append(hit)
    else:
        parts.append("no caching")
    return models + "\n" + "; ".join(parts)


def _volume(w: Workload) -> tuple[str, str]:
    t = w.token_counts
    tokens = f"{t.cacheable_prefix:,.0f} / {t.input:,.0f} / {t.output:,.0f}"
    if w.uses_monthly_tokens:
        return "token totals", tokens
    return f"{w.requests_per_month:,.0f}", tokens


def _waiting(w: Workload) -> str:
    out = str(w.waiting)
    if w.acceptable_latency_minutes is not None:
        out += f", {w.acceptable_latency_minutes:g} min"
    if w.urgent_share:
        out += f", {pct(w.urgent_share)} urgent"
    return out


def _appendix(plan: Plan, width: float, generated: dt.date) -> list[Flowable]:
    from forecast.sensitivity import SENSITIVITY_PATHS
    from forecast.types import CacheTTL

    sc, book = plan.scenario, plan.book
    c, unc = sc.contract, sc.uncertainty
    story: list[Flowable] = [_p("Assumptions", "h1")]
    if sc.description:
        story.append(_p(text(sc.description), "body"))

    story.append(_p("Run, contract and uncertainty", "h2"))
    named = c.commitment_per_year()
    real, drift = unc.lever_realization, unc.token_drift
    sensitivity = (f"; sensitivity on {min(SENSITIVITY_PATHS, plan.n_paths):,} paths per run"
                   if plan.sensitivity else "; sensitivity not computed")
    settings = [
        ("scenario", sc.name),
        ("prepared", generated.isoformat()),
        ("horizon", f"{sc.horizon_months} months from {sc.start}"),
        ("simulation", f"{plan.n_paths:,} paths, seed {plan.seed}{sensitivity}"),
        ("price book", f"{book.id}, effective {book.effective_date.isoformat()}; source: "
                       f"{book.source}"),
        ("contract term", f"{c.years} year{'s' if c.years > 1 else ''}"),
        ("commitment in the scenario", " / ".join(usd(x) for x in named) + " a year"
         if named else "none named (recommendation only)"),
        ("discount tiers", "; ".join(f"{pct(t.discount)} from {usd(t.min_annual_commit)} a "
                                     "year" for t in c.discount_tiers) or "none"),
        ("overage", "billed at the discounted rate" if str(c.overage) == "discounted"
         else "billed at list price"),
        ("rollover of unused commitment", pct(c.rollover)),
        ("risk appetite", "shortfall probability at most "
                          f"{pct(c.risk_appetite.max_shortfall_probability)}"),
        ("stranded-savings flag", f"amber above {pct(c.stranded_thresholds.amber)}, red "
                                  f"above {pct(c.stranded_thresholds.red)} of gross savings"),
        ("shared growth volatility", f"{unc.shared_growth_volatility:g} (monthly log change "
                                     "common to every workload)"),
        ("lever realization", f"Beta, mean {real.mean:g}, sd {real.sd:g} (the fraction of "
                              "each planned change achieved)"),
        ("landing slip", f"Poisson, mean {unc.slip_months.mean:g} months"),
        ("walk-back probability", f"{unc.walk_back_probability:g} (a gray workload's batch "
                                  "move reverted at a random month)"),
        ("token drift", f"{drift.monthly:g} a month, volatility {drift.volatility:g}"),
    ]
    story.append(_table(["setting", "value"], [list(s) for s in settings], width,
                        [None, 1]))

    story.append(_p("Workloads: inputs", "h2"))
    rows = []
    for w in sc.workloads:
        volume, tokens = _volume(w)
        counted = f" ({w.token_counts.counted_on})" if w.token_counts.counted_on else ""
        rows.append([w.name, volume, tokens + counted, _waiting(w),
                     f"{pct(w.growth.monthly, 1)} ± {w.growth.volatility:g}",
                     f"{w.starts_month} to {w.ends_month or sc.horizon_months}",
                     pct(w.launch_probability)])
    story.append(_table(
        ["workload", "requests a month", "tokens a request: prefix / input / output",
         "waiting test", "growth a month ± volatility", "months active", "launch chance"],
        rows, width, [1, None, 0.62, 0.5, None, None, None], right={1, 2, 4, 5, 6}))

    story.append(_p("Workloads: levers and landing", "h2"))
    rows = []
    for w in sc.workloads:
        changed = w.optimized is not None and w.target != w.current
        rows.append([w.name, _levers(w.current),
                     _levers(w.target) if changed else "unchanged",
                     str(w.lands_month) if changed else "",
                     str(w.ramp_months) if changed else ""])
    story.append(_table(["workload", "current", "optimized", "lands in month",
                         "ramp months"], rows, width, [0.75, 1, 1, None, None],
                        right={3, 4}))

    story.append(_p(f"Price book {text(book.id)}: the models used, USD per million tokens",
                    "h2"))
    used: list[str] = []
    for w in sc.workloads:
        for m in (*w.current.models, *w.target.models):
            if m not in used:
                used.append(m)
    rows = []
    for m in used:
        price = book.models[m]
        rows.append([m, usd(price.input, 2), usd(price.output, 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.FIVE_MINUTES), 2),
                     usd(price.input * book.write_multiplier(m, CacheTTL.ONE_HOUR), 2),
                     usd(price.input * book.read_multiplier(m), 2),
                     f"{price.tokenizer_factor:g}"])
    story.append(_table(["model", "input", "output", "cache write, 5 min",
                         "cache write, 1 hour", "cache read", "tokenizer factor"], rows,
                        width, [1, 0.45, 0.45, 0.45, 0.45, 0.45, 0.45], right=range(1, 7)))
    story.append(_p(f"Batch: {pct(book.batch_discount)} off every token class, stacking with "
                    "caching. Tokenizer factor: tokens counted for the same text against the "
                    "reference tokenizer; routing to a model with a higher factor scales the "
                    "workload's token volumes.", "note"))
    return story


def _no_orphan_headings(story: list[Flowable]) -> list[Flowable]:
    """Start a new page before a sub-heading with less than 1.4 inches left under it; the
    table that follows may then split across pages (its header repeats)."""
    from reportlab.platypus import CondPageBreak, Paragraph

    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name == "h2":
            out.append(CondPageBreak(1.4 * 72))
        out.append(flowable)
    return out


# --------------------------------------------------------------------------- entry points
def render_pdf(plan: Plan, generated: dt.date | None = None) -> bytes:
    """The negotiation PDF of a plan, as bytes.

    Parameters
    ----------
    plan : Plan
        The plan to report (``build_plan``); its sensitivity rows, when present, fill the
        sensitivity page.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today). The same plan and date give the
        same bytes.

    Returns
    -------
    bytes
        The PDF document.
    """
    from reportlab.lib.pagesizes import letter
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    generated = generated or dt.date.today()
    _fonts()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=letter, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
        bottomMargin=0.85 * 72, title=f"Commitment plan: {plan.scenario.name}",
        author="Commitment Planner", subject="Spend commitment sizing for the negotiation",
        creator="Commitment Planner (forecast.report)", invariant=1, lang="en",
        initialFontName=BODY)
    width = doc.width
    story: list[Flowable] = []
    story += _summary(plan, generated, width)
    for section in (_forecast(plan, width), _options(plan, width), _savings(plan, width),
                    _sensitivity(plan, width), _appendix(plan, width, generated)):
        story.append(PageBreak())
        story += section
    story = _no_orphan_headings(story)
    doc.build(story, canvasmaker=_canvas_maker(plan.scenario.name, generated))
    return buffer.getvalue()


def check_output_path(path: str | Path) -> Path:
    """The path a report can be written to, checked before any work is done.

    Raises
    ------
    PlannerError
        When the path is a folder or its folder does not exist.
    """
    path = Path(path)
    if path.is_dir():
        raise PlannerError(f"{path}: is a folder; give a file name such as {path / 'plan.pdf'}")
    if not path.parent.is_dir():
        raise PlannerError(f"{path}: {path.parent} is not an existing folder; create it or "
                           "write the report elsewhere")
    return path


def write_pdf(plan: Plan, path: str | Path, generated: dt.date | None = None) -> None:
    """Render the PDF and write it atomically.

    The document is rendered in memory first and then written beside the destination and
    renamed over it, so a failed export leaves no file behind (or the previous one as it
    was), never a half-written one.

    Parameters
    ----------
    plan : Plan
        The plan to report.
    path : str or Path
        The PDF to write.
    generated : datetime.date, optional
        The date printed as "prepared" (default: today).

    Raises
    ------
    PlannerError
        When the file cannot be written (a folder, a missing folder, no permission),
        naming the path.
    """
    from forecast.scenario import atomic_write

    path = check_output_path(path)
    payload = render_pdf(plan, generated)
    try:
        atomic_write(path, payload)
    except OSError as exc:
        raise PlannerError(f"{path}: cannot write the report ({exc.strerror or exc})") from None
