"""Deposit profiles (DEPOSIT.md): a province's parameters for patients' inpatient deposits, versioned data
shipped in ``profiles/deposit/*.toml`` and validated whole (every problem by its parameter's path), as the
prepayment profiles are. A region names the one it runs under (``region.deposit_profile``)."""
from __future__ import annotations

import tomllib
from decimal import Decimal
from importlib import resources
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..policy.deposit import DepositProfile, Measure
from ..validation import (
    Choice,
    DecimalString,
    Mapping,
    Nested,
    StrictBoolean,
    StrictInteger,
    StrictSchema,
    Text,
    pointer_errors,
)
from .schema import ProfileError

DEFAULT_DEPOSIT_PROFILE = "national-2025"
PARAMETERS = ("measure", "window_years", "min_cases", "published_min_cases", "tolerance", "common_share",
              "missing_common_is_breach", "freeze_from", "below_ratio", "below_months", "month_min_cases",
              "complaint_share", "standard_change", "recompute_days", "peer_ratio", "peer_min",
              "billing_working_days", "grassroots_area", "red_finding_days", "recompute_obliged", "update_days")


class _Reference(StrictSchema):
    measure = Choice([m.value for m in Measure], required=True)
    window_years = StrictInteger(required=True, validate=validate.Range(1, 10))
    min_cases = StrictInteger(required=True, validate=validate.Range(1, 10_000))
    published_min_cases = StrictInteger(required=True, validate=validate.Range(1, 10_000))
    tolerance = DecimalString(required=True, places=4, minimum=Decimal("0"), maximum=Decimal("1"))


class _Common(StrictSchema):
    share = DecimalString(required=True, places=4, minimum=Decimal("0.01"), maximum=Decimal("1"))
    missing_is_breach = StrictBoolean(required=True)


class _Freeze(StrictSchema):
    from_ = fields.Date(data_key="from", load_default=None)


class _Recompute(StrictSchema):
    below_ratio = DecimalString(required=True, places=4, minimum=Decimal("0.01"), maximum=Decimal("1"))
    below_months = StrictInteger(required=True, validate=validate.Range(1, 24))
    month_min_cases = StrictInteger(required=True, validate=validate.Range(1, 1000))
    complaint_share = DecimalString(required=True, places=4, minimum=Decimal("0"), maximum=Decimal("1"))
    standard_change = DecimalString(required=True, places=4, minimum=Decimal("0"), maximum=Decimal("1"))
    days = StrictInteger(required=True, validate=validate.Range(1, 366))
    obliged = StrictBoolean(required=True)
    # the yearly update (XJ 24 原则上每年…更新一次): the days after the year's reference; absent where no text has it
    update_days = StrictInteger(load_default=None, validate=validate.Range(1, 366))


class _Peers(StrictSchema):
    ratio = DecimalString(required=True, places=4, minimum=Decimal("1"), maximum=Decimal("100"))
    min_peers = StrictInteger(required=True, validate=validate.Range(1, 1000))


class _Billing(StrictSchema):
    working_days = StrictInteger(required=True, validate=validate.Range(1, 60))


class _Grassroots(StrictSchema):
    area = Choice(["county", "prefecture"], required=True)


class _Monitoring(StrictSchema):
    red_finding_days = StrictInteger(required=True, validate=validate.Range(1, 3650))


class _DepositSchema(StrictSchema):
    name = Text(60, required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="只能由小写字母、数字和连字符组成"))
    version = StrictInteger(required=True, validate=validate.Range(1, 9999))
    title = Text(200, required=True)
    source = Text(200, required=True)
    reference = Nested(_Reference, required=True)
    common = Nested(_Common, required=True)
    freeze = Nested(_Freeze, required=True)
    recompute = Nested(_Recompute, required=True)
    peers = Nested(_Peers, required=True)
    billing = Nested(_Billing, required=True)
    grassroots = Nested(_Grassroots, required=True)
    monitoring = Nested(_Monitoring, required=True)
    articles = Mapping(Choice(list(PARAMETERS)), Text(40), load_default=dict)


def packaged_deposit_texts() -> dict[str, str]:
    """The deposit profiles shipped with the software, by name."""
    folder = resources.files(__package__).joinpath("deposit")
    return {p.name.removesuffix(".toml"): p.read_text(encoding="utf-8")
            for p in sorted(folder.iterdir(), key=lambda p: p.name) if p.name.endswith(".toml")}


def load_deposit_profile(name: str = DEFAULT_DEPOSIT_PROFILE) -> DepositProfile:
    texts = packaged_deposit_texts()
    if name not in texts:
        raise ProfileError(name, [("/", f"没有名为 {name} 的预交金参数方案（可选：{'、'.join(sorted(texts))}）")])
    return deposit_profile_from_text(texts[name], name)


def deposit_profile_from_text(text: str, label: str = "?") -> DepositProfile:
    """A deposit profile's TOML validated whole: every problem named by its parameter's path."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ProfileError(label, [("/", f"TOML 格式有误：{err}")]) from None
    try:
        data: dict[str, Any] = _DepositSchema().load(raw)
    except ValidationError as err:
        raise ProfileError(label, list(pointer_errors(err.messages))) from None
    ref, common, rec = data["reference"], data["common"], data["recompute"]
    if ref["published_min_cases"] > ref["min_cases"]:
        raise ProfileError(label, [("/reference/published_min_cases", "对外发布的最少例数不能大于测算的最少例数")])
    return DepositProfile(
        data["name"], data["version"], data["title"], data["source"], Measure(ref["measure"]), ref["window_years"],
        ref["min_cases"], ref["published_min_cases"], common["share"], common["missing_is_breach"],
        data["freeze"]["from_"], ref["tolerance"], rec["below_ratio"], rec["below_months"], rec["month_min_cases"],
        rec["complaint_share"], rec["standard_change"], rec["days"], data["peers"]["ratio"],
        data["peers"]["min_peers"], data["billing"]["working_days"], data["grassroots"]["area"],
        data["monitoring"]["red_finding_days"], dict(data["articles"]), rec["obliged"], rec["update_days"])
