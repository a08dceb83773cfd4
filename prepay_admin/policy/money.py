"""Money and fixed-point arithmetic: ``Decimal`` only, never float."""
import re
import unicodedata
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


_GROUPED = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")  # ASCII digits only: full-width ones are
_PLAIN = re.compile(r"^-?[0-9]+(\.[0-9]*)?$")  # normalised first (NFKC), other scripts' refused
TEN_THOUSAND = Decimal(10000)


def typed_amount(text: str) -> tuple[str | None, str | None]:
    """An amount as staff type it on a screen, in the contract's plain form ("1000000.00"), or (None, why).

    Accepted (issue 30): thousands separators where they group by three ("1,000,000.00"), full-width digits
    and punctuation (normalised, NFKC: "１，０００"), a trailing 元, and 万 for ten thousand ("100万",
    "1.5万元"); the contract's rules (whole fen, the range) then apply to the result as to any amount.
    Nothing is guessed: "1,00" or "1万2" is refused.
    Files and the API stay strict: this is for the screens only."""
    raw = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    raw = raw.removesuffix("元")
    scale = Decimal(1)
    if raw.endswith("万"):
        raw, scale = raw[:-1], TEN_THOUSAND
    if _GROUPED.match(raw):
        raw = raw.replace(",", "")
    elif "," in raw:
        return None, "千分位逗号须每三位一组，如 1,000,000.00"
    if not _PLAIN.match(raw):
        return None, "须为金额，如 1000000.00、1,000,000.00 或 100万"
    amount = Decimal(raw.rstrip(".") or "0") * scale
    plain = f"{amount:f}"
    return (plain.rstrip("0").rstrip(".") if "." in plain else plain) or "0", None  # fen: the contract's rule


def fmt_wan(value: Decimal) -> str:
    """Money in 万元 for summaries and charts: two decimals (四舍五入), thousands separated."""
    return f"{(Decimal(value) / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
