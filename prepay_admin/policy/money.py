"""Money and fixed-point arithmetic: ``Decimal`` only, never float."""
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "down": ROUND_DOWN}


def to_cents(value: Decimal) -> Decimal:
    """Quantize to fen, 四舍五入."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_to_unit(value: Decimal, unit: Decimal, mode: str) -> Decimal:
    """Round to a whole multiple of ``unit`` (e.g. 10,000 yuan) in the named mode."""
    units = (value / unit).quantize(Decimal(1), rounding=ROUNDING_MODES[mode])
    return to_cents(units * unit)


def fmt_money(value: Decimal) -> str:
    """Money as the contract writes it: a plain string with two decimals."""
    return f"{to_cents(value):.2f}"


def fmt_yuan_cn(value: Decimal) -> str:
    """Money for Chinese screens and tables: thousands separators, two decimals."""
    return f"{to_cents(value):,.2f}"
