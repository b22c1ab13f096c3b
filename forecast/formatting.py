"""Number formatting shared by the CLI, the app and the PDF report."""

from __future__ import annotations


def usd(amount: float, decimals: int = 0) -> str:
    """Dollars with thousands separators: ``usd(1234567.8) == '$1,234,568'``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.{decimals}f}"


def usd_short(amount: float) -> str:
    """Compact dollars for chart labels and metrics: ``$1.23M``, ``$456K``, ``$789``."""
    sign = "-" if amount < 0 else ""
    a = abs(amount)
    if a >= 1e9:
        return f"{sign}${a / 1e9:.2f}B"
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f}M"
    if a >= 1e4:
        return f"{sign}${a / 1e3:.0f}K"
    return f"{sign}${a:,.0f}"


def pct(share: float, decimals: int = 0) -> str:
    """A share as a percentage: ``pct(0.125, 1) == '12.5%'``."""
    return f"{share * 100:.{decimals}f}%"


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
