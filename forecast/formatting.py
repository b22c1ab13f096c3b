"""Number formatting shared by the CLI, the app and the PDF report, and reading what a buyer
types: amounts (``900k / 1.1M``), discount tiers (``1M: 6% / 3M: 10%``) and routing mixes."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from forecast.limits import MAX_ANNUAL_COMMIT


def usd(amount: float, decimals: int = 0) -> str:
    """Dollars with thousands separators: ``usd(1234567.8) == '$1,234,568'``."""
    text = f"{abs(amount):,.{decimals}f}"
    sign = "-" if amount < 0 and any(ch not in "0.," for ch in text) else ""
    return f"{sign}${text}"


def _short(a: float, floor: bool) -> str:
    """``a`` (not negative) in compact form, rounded to nearest or down; the unit is chosen
    after rounding, so $999,999.60 is $1.00M, not $1000K."""
    for scale, suffix, digits, smallest in ((1e9, "B", 2, 1.0), (1e6, "M", 2, 1.0),
                                            (1e3, "K", 0, 10.0)):
        value = a / scale
        shown = math.floor(value * 10**digits + 1e-9) / 10**digits if floor \
            else round(value, digits)
        if shown >= smallest:
            return f"${shown:.{digits}f}{suffix}"
    return f"${math.floor(a) if floor else a:,.0f}"


def usd_short(amount: float, edges: Sequence[float] = ()) -> str:
    """Compact dollars for chart labels and metrics: ``$1.23M``, ``$456K``, ``$789``.

    Rounded to nearest; with ``edges`` (discount-tier thresholds), rounded down instead
    where rounding to nearest would show an amount under an edge as the edge itself
    (``$2,999,999`` is ``$2.99M`` when $3M is a tier edge, never ``$3.00M``).
    """
    sign = "-" if amount <= -0.5 else ""
    a = abs(amount)
    text = _short(a, floor=False)
    if any(a < e and _short(e, floor=False) == text for e in edges):
        text = _short(a, floor=True)
    return f"{sign}{text}"


def rounded_shares(shares: Sequence[float], decimals: int = 0) -> list[float]:
    """Shares rounded to ``decimals`` places of a percent so that they add up to the rounded
    total (largest remainder): 0.384, 0.374, 0.242 give 39%, 37%, 24% (100%), where rounding
    each gives 38/37/24 = 99%.
    """
    unit = 10 ** (decimals + 2)
    scaled = [s * unit for s in shares]
    floors = [math.floor(x) for x in scaled]
    target = round(sum(scaled))
    order = sorted(range(len(scaled)), key=lambda i: scaled[i] - floors[i], reverse=True)
    for i in order[: max(0, target - sum(floors))]:
        floors[i] += 1
    return [f / unit for f in floors]


def pct(share: float, decimals: int = 0) -> str:
    """A share as a percentage: ``pct(0.125, 1) == '12.5%'``; a share that rounds to zero
    is ``0%``, never ``-0%`` (``pct(-0.0001, 1) == '0.0%'``)."""
    text = f"{share * 100:.{decimals}f}%"
    return text[1:] if text.startswith("-") and not text.strip("-0.%") else text


# --------------------------------------------------------------------------- amounts with tiers
def _is_ramp(per_year: Sequence[float]) -> bool:
    return len(per_year) > 1 and max(per_year) - min(per_year) > 0


def amount_text(per_year: Sequence[float], separator: str = " / ") -> str:
    """A commitment in whole dollars: one amount a year, or one per year for a ramp
    (``$3,000,000`` or ``$3,000,000 / $3,000,000 / $6,000,000``). The one home of how a
    commitment's amount is written."""
    values = [float(c) for c in per_year]
    if _is_ramp(values):
        return separator.join(usd(c) for c in values)
    return usd(values[0] if values else 0.0)


def tier_text(discount: Sequence[float]) -> str:
    """The discount a commitment earns: ``10%``, or ``5% / 10% / 10%`` when it changes by
    year. The one home of tier text."""
    values = [float(d) for d in discount]
    if len(set(values)) > 1:
        return " / ".join(pct(d) for d in values)
    return pct(values[0] if values else 0.0)


def with_tier(per_year: Sequence[float], discount: Sequence[float],
              edges: Sequence[float] = (), short: bool = False) -> str:
    """An amount written with the tier it earns: ``$3,000,000 a year (10% tier)``.

    Short form for metrics: ``$3.00M/yr · 10% tier``; never rounded up across a tier edge
    (``edges``). A ramp gives one amount per year; $0 says it is no commitment.
    """
    values = [float(c) for c in per_year]
    rates = [float(d) for d in discount]

    def money(c: float) -> str:
        return usd_short(c, edges) if short else usd(c)

    if sum(values) <= 0:
        earned = rates[0] if rates else 0.0
        return "$0: no commitment" + (f" ({pct(earned)} tier)" if earned > 0 else
                                      ", pay as you go")
    if _is_ramp(values):
        amounts = " / ".join(money(c) for c in values)
        tiers = " / ".join(pct(d) for d in rates)
        return f"{amounts} ({tiers})" if short else f"{amounts} a year ({tiers} tiers)"
    tier = f"{pct(rates[0])} tier" if rates[0] > 0 else "no discount"
    return f"{money(values[0])}/yr · {tier}" if short else f"{money(values[0])} a year ({tier})"


def table(rows: list[list[str]], header: list[str], right: set[int] | None = None) -> str:
    """A plain-text table with aligned columns; ``right`` holds right-aligned column indices."""
    right = right or set()
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


_AMOUNT = re.compile(r"^\$?\s*([0-9][0-9_,]*(?:\.[0-9]+)?|\.[0-9]+)\s*([kKmM]?)$")


def parse_amounts(text: str) -> list[float] | None:
    """Read the commitment a buyer types: ``None`` when blank, else one amount a year, or
    one per contract year separated by ``/`` (``900k / 1.1M / 1,300,000``).

    Raises
    ------
    ValueError
        For text that is not an amount, or an amount above ``MAX_ANNUAL_COMMIT`` ($100
        billion a year, surely a typo; this also refuses an overflow to infinity).
    """
    text = (text or "").strip()
    if not text:
        return None
    amounts = []
    for part in re.split(r"[/;]", text):
        part = part.strip()
        match = _AMOUNT.match(part)
        if not match:
            raise ValueError(
                f"cannot read {_shorten(part)!r} as dollars a year; write one amount, or one "
                "per contract year separated by /, e.g. 900k / 1.1M / 1.3M")
        scale = {"": 1.0, "k": 1e3, "m": 1e6}[match.group(2).lower()]
        amount = float(match.group(1).replace(",", "").replace("_", "")) * scale
        if not math.isfinite(amount) or amount > MAX_ANNUAL_COMMIT:
            raise ValueError(f"{_shorten(part)!r} is more than ${MAX_ANNUAL_COMMIT:,.0f} a "
                             "year, surely a typo; write the annual amount, e.g. 1.2M")
        amounts.append(amount)
    return amounts


def format_amounts(amounts: list[float] | None) -> str:
    """The inverse of :func:`parse_amounts`."""
    return "" if not amounts else " / ".join(f"{a:,.0f}" for a in amounts)


def _share(text: str) -> float:
    """``0.7`` or ``70%`` as a fraction; ValueError when neither."""
    text = text.strip()
    return float(text[:-1]) / 100.0 if text.endswith("%") else float(text)


def parse_tiers(text: str) -> list[dict[str, float]]:
    """Read discount tiers typed as ``commit: discount`` pairs separated by ``/``:
    ``1M: 6% / 3M: 10%`` -> ``[{min_annual_commit: 1e6, discount: 0.06}, ...]``."""
    tiers = []
    for part in re.split(r"[/;]", text or ""):
        if not part.strip():
            continue
        commit, sep, discount = part.partition(":")
        try:
            if not sep:
                raise ValueError
            amount = parse_amounts(commit)
            value = _share(discount)
        except ValueError:
            raise ValueError(
                f"cannot read {part.strip()!r}; write commit: discount pairs separated by /, "
                "e.g. 1M: 6% / 3M: 10%") from None
        if not amount or len(amount) != 1:
            raise ValueError(f"cannot read {part.strip()!r}; give one amount per tier")
        tiers.append({"min_annual_commit": amount[0], "discount": value})
    return tiers


def format_tiers(tiers: list[dict[str, float]]) -> str:
    """The inverse of :func:`parse_tiers`: ``1M: 6% / 3M: 10%``."""
    def short(amount: float) -> str:
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if amount >= scale and amount % (scale / 100) == 0:
                return f"{amount / scale:g}{suffix}"
        return f"{amount:,.0f}"
    return " / ".join(f"{short(t['min_annual_commit'])}: {t['discount'] * 100:g}%"
                      for t in tiers)


_MODEL_PART = re.compile(r"^([^\s:=]+)\s*[:=]?\s*(.*)$")


def parse_models(text: str) -> dict[str, float] | None:
    """Read a routing mix typed as text; ``None`` when blank.

    ``model: share`` pairs separated by commas, a share as a fraction or a percentage
    (``claude-haiku-4-5: 0.7, claude-sonnet-4-5 30%``); a single model without a share takes
    all the traffic. A model named twice adds up.
    """
    text = (text or "").strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    models: dict[str, float] = {}
    for part in parts:
        match = _MODEL_PART.match(part)
        name, share_text = (match.group(1), match.group(2).strip()) if match else (part, "")
        if not share_text and len(parts) == 1:
            share = 1.0
        else:
            try:
                share = _share(share_text)
            except ValueError:
                raise ValueError(
                    f"cannot read {part!r}; write model: share pairs separated by commas, "
                    "e.g. claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3") from None
        models[name] = models.get(name, 0.0) + share
    return models


def format_models(models: dict[str, float]) -> str:
    """The inverse of :func:`parse_models`: ``claude-haiku-4-5: 0.7, claude-sonnet-4-5: 0.3``."""
    return ", ".join(f"{model}: {share:g}" for model, share in models.items())
