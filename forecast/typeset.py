"""Typesetting for the PDF report: bundled fonts, escaped user text, tables, vector charts
and the page footer, on reportlab platypus.

The fonts ship with the package (``forecast/data/fonts/``, with their licenses) and are
embedded as subsets: DejaVu Sans for Latin, Greek and Cyrillic, DejaVu Sans Condensed for
dense tables, Droid Sans Fallback for CJK. reportlab has no per-glyph fallback, so
:func:`text` escapes user text and sets each run in the first font that has its glyphs.
Charts come from :mod:`forecast.charts`, rendered offline to SVG by vl-convert and converted
to reportlab drawings by svglib (vector, scaled to the frame).
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

from forecast.types import FlagLevel

if TYPE_CHECKING:
    import altair as alt
    from reportlab.graphics.shapes import Drawing
    from reportlab.platypus import Flowable

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

#: Characters of a user's name kept where a layout cannot wrap it freely (headings, the
#: footer, names inside a sentence); a longer name ends in an ellipsis.
NAME_LIMIT = 80
#: Characters kept per line of a plain-text table cell: a cell cannot grow past a page, so
#: a 10,000-character name is cut there, while anything a table normally holds wraps whole.
CELL_LIMIT = 200
#: Narrowest a flexible table column may get (points) when number columns are wide.
MIN_FLEX_WIDTH = 48.0


# --------------------------------------------------------------------------- fonts
@cache
def register_fonts() -> frozenset[int]:
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


def short(value: object, limit: int = NAME_LIMIT) -> str:
    """``value`` as text of at most ``limit`` characters, ending in an ellipsis when cut."""
    out = str(value)
    return out if len(out) <= limit else out[:limit - 1].rstrip() + "…"


def text(value: object, limit: int | None = None) -> str:
    """User text as reportlab paragraph markup that prints as written.

    Escapes ``&``, ``<`` and ``>`` (a paragraph parses its text as markup), replaces control
    characters by spaces and lone surrogates (which cannot be encoded) by U+FFFD, and sets
    each run of characters DejaVu Sans lacks but Droid Sans Fallback has (CJK) in the
    fallback font. A character neither font has prints as an empty box. With ``limit``,
    text longer than that many characters is shortened with an ellipsis (:func:`short`).
    """
    covered = register_fonts()
    runs: list[tuple[bool, list[str]]] = []
    for ch in str(value) if limit is None else short(value, limit):
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
def styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle

    register_fonts()
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


def para(markup: str, style: str = "body") -> Flowable:
    from reportlab.platypus import Paragraph

    return Paragraph(markup, styles()[style])


# --------------------------------------------------------------------------- pieces
def flag_colour(level: FlagLevel | str) -> str:
    from forecast.charts import FLAG_COLOURS

    return FLAG_COLOURS[str(level)]


def chip(level: FlagLevel | str) -> Flowable:
    return para(str(level).upper(), "chip")


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], width: float,
           shares: Sequence[float | None], right: Iterable[int] = (),
           chips: dict[tuple[int, int], str] | None = None,
           highlight: Iterable[int] = ()) -> Flowable:
    """A table with a repeated header, zebra rows and right-aligned number columns.

    Rows may split across pages, so a tall cell never stops the document.

    Parameters
    ----------
    rows : iterable of sequences
        Cells are plain text (escaped here; a line past :data:`CELL_LIMIT` characters is
        shortened) or flowables (used as they are).
    width : float
        Total width in points.
    shares : sequence of float or None
        Per column: ``None`` fits the column to its widest text (numbers do not wrap unless
        the fitted columns would leave the others less than :data:`MIN_FLEX_WIDTH` each); a
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
    style = styles()
    rows = [[("\n".join(short(line, CELL_LIMIT) for line in cell.split("\n"))
              if isinstance(cell, str) else cell) for cell in r] for r in rows]
    size = style["cell"].fontSize
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
    n_flex = sum(1 for s in shares if s is not None)
    room = width - n_flex * MIN_FLEX_WIDTH
    if fitted and sum(fitted.values()) > room:
        # Huge figures: shrink the fitted columns together (their text wraps) rather than
        # leave the others a negative width.
        scale = max(room, 0.0) / sum(fitted.values())
        fitted = {i: w * scale for i, w in fitted.items()}
    left = width - sum(fitted.values())
    weight = sum(s for s in shares if s is not None) or 1.0
    widths = [fitted[i] if s is None else left * s / weight for i, s in enumerate(shares)]

    data: list[list[Any]] = [[Paragraph(text(h), style["cell_head_right" if i in right
                                                      else "cell_head"])
                              for i, h in enumerate(header)]]
    for row in rows:
        data.append([Paragraph("<br/>".join(text(line) for line in cell.split("\n")),
                               style["cell_right" if i in right else "cell"])
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
                         colors.HexColor(flag_colour(level))))
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", splitInRow=1)
    table.setStyle(TableStyle(commands))
    return table


def box(flowables: list[Flowable], width: float, fill: str, edge: str,
         padding: float = 7) -> Flowable:
    """Flowables in a shaded box with a coloured left edge."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    box = Table([[flowables]], colWidths=[width], hAlign="LEFT", splitInRow=1)
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

    register_fonts()
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


def chart_drawing(chart: alt.TopLevelMixin, width: float) -> Drawing:
    """A chart as a reportlab vector drawing ``width`` points wide.

    The chart is one of :mod:`forecast.charts`; only its font is configured here, to the
    bundled DejaVu Sans, so that the PDF embeds every glyph it shows.
    """
    from svglib.svglib import svg2rlg

    from forecast.charts import to_svg

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
def canvas_maker(scenario_name: str, generated: dt.date,
                 document: str = "commitment plan") -> type:
    """A canvas that holds its pages back to print ``page N of M`` in every footer; the
    footer names the document (``commitment plan · internal``, ``commitment proposal``)."""
    from reportlab.lib import colors
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph

    left = f"{text(scenario_name, 70)} · {text(document)} · {generated.isoformat()}"

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
            para = Paragraph(left, styles()["footer"])
            _w, h = para.wrap(width - 2 * MARGIN - 80, 20)
            para.drawOn(self, MARGIN, FOOTER_RULE - 4 - h)
            self.setFont(BODY, 7)
            self.setFillColor(colors.HexColor(MUTED))
            self.drawRightString(width - MARGIN, FOOTER_RULE - 11,
                                 f"page {self._pageNumber} of {total}")

    return NumberedCanvas


def no_orphan_headings(story: list[Flowable]) -> list[Flowable]:
    """Start a new page before a sub-heading with less than 1.4 inches left under it; the
    table that follows may then split across pages (its header repeats)."""
    from reportlab.platypus import CondPageBreak, Paragraph

    out: list[Flowable] = []
    for flowable in story:
        if isinstance(flowable, Paragraph) and flowable.style.name == "h2":
            out.append(CondPageBreak(1.4 * 72))
        out.append(flowable)
    return out
