"""Patient deposits (DEPOSIT.md): the inpatient settlements the bureau holds, and the reference runs
computed from them, frozen with their inputs' hash and profile version."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, Money, UtcDateTime, enum_type, utcnow
from ..policy.deposit import InsuranceClass


class Discharge(Base):
    """One inpatient settlement (住院结算明细, the national platform's SETL_D): no patient's name or ID
    number is ever held; the settlement and visit ids are kept only as keyed hashes. A refund or
    re-settlement is a row of its own pointing at the settlement it corrects (原结算ID); an admission's
    figures are the sums of its visit's rows."""

    __tablename__ = "discharge"
    __table_args__ = (
        UniqueConstraint("settlement_key"),
        # DEPOSIT.md: the identities hold in fen
        CheckConstraint("total = fund_paid + personal_burden + hospital_borne", name="total_identity"),
        CheckConstraint("personal_burden = copay + self_pay", name="burden_identity"),
        Index("ix_discharge_region_discharged", "region_id", "discharged_on"),
        Index("ix_discharge_institution_group", "institution_id", "group_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    settlement_key: Mapped[str] = mapped_column(String(64))  # HMAC-SHA256 of the region and 结算ID (config.pseudonym_key)
    visit_key: Mapped[str] = mapped_column(String(64))  # of 就诊ID: the admission
    original_key: Mapped[str | None] = mapped_column(String(64))  # of 原结算ID, for a refund or re-settlement
    refund: Mapped[bool] = mapped_column(Boolean)  # 退费标志
    insurance_class: Mapped[InsuranceClass] = mapped_column(enum_type(InsuranceClass, "insurance_class"))
    insured_region: Mapped[str] = mapped_column(String(6))  # 参保地医保区划
    out_of_region: Mapped[bool] = mapped_column(Boolean)  # 异地: counted apart, never in the local mean
    medical_category: Mapped[str | None] = mapped_column(String(20))  # 医疗类别
    admitted_on: Mapped[dt.date] = mapped_column(Date)
    discharged_on: Mapped[dt.date] = mapped_column(Date)
    settled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())  # 结算时间
    department: Mapped[str | None] = mapped_column(String(60))  # 出院科别
    diagnosis: Mapped[str | None] = mapped_column(String(20))  # 主要诊断编码
    procedure: Mapped[str | None] = mapped_column(String(20))  # 主要手术编码
    group_code: Mapped[str] = mapped_column(String(30))  # DRG 组 / DIP 病种 (the bureau's grouper, never regrouped)
    group_version: Mapped[str | None] = mapped_column(String(30))
    total: Mapped[Decimal] = mapped_column(Money())  # 医疗费总额
    fund_paid: Mapped[Decimal] = mapped_column(Money())  # 基金支付总额
    personal_burden: Mapped[Decimal] = mapped_column(Money())  # 个人负担总金额
    copay: Mapped[Decimal] = mapped_column(Money())  # 个人自付
    self_pay: Mapped[Decimal] = mapped_column(Money())  # 个人自费
    account_paid: Mapped[Decimal] = mapped_column(Money())  # 个人账户支出
    cash_paid: Mapped[Decimal] = mapped_column(Money())  # 个人现金支出
    hospital_borne: Mapped[Decimal] = mapped_column(Money())  # 医院负担金额


class DepositRun(Base):
    """A reference run of a region's year (DEPOSIT.md rule 1): frozen with the hash of its inputs and the
    profile version it used; a recomputation supersedes it, never overwrites."""

    __tablename__ = "deposit_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    year: Mapped[int]  # the reference year: the window is the complete years before it
    window_from: Mapped[dt.date] = mapped_column(Date)
    window_to: Mapped[dt.date] = mapped_column(Date)
    profile_name: Mapped[str] = mapped_column(String(60))
    profile_version: Mapped[int]
    measure: Mapped[str] = mapped_column(String(20))
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    settlements: Mapped[int]  # rows read
    admissions: Mapped[int]  # local admissions used
    out_of_region: Mapped[int]  # admissions of 异地 patients, counted apart
    cells: Mapped[int]
    computed_by: Mapped[str] = mapped_column(String(60))
    computed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    superseded_by: Mapped[int | None] = mapped_column(Integer)  # the run that replaced it


class DepositCell(Base):
    """A hospital × group × class cell of a run, as rule 1 defines its figures."""

    __tablename__ = "deposit_cell"
    __table_args__ = (UniqueConstraint("run_id", "institution_id", "group_code", "insurance_class"),
                      Index("ix_deposit_cell_run_group", "run_id", "group_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("deposit_run.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    group_code: Mapped[str] = mapped_column(String(30))
    insurance_class: Mapped[InsuranceClass] = mapped_column(enum_type(InsuranceClass, "insurance_class"))
    cases: Mapped[int]
    mean_cost: Mapped[Decimal] = mapped_column(Money())
    mean_fund: Mapped[Decimal] = mapped_column(Money())
    mean_copay: Mapped[Decimal] = mapped_column(Money())
    mean_self_pay: Mapped[Decimal] = mapped_column(Money())
    mean_cash: Mapped[Decimal] = mapped_column(Money())
    reference: Mapped[Decimal] = mapped_column(Money())  # the mean of the profile's measure
    median: Mapped[Decimal] = mapped_column(Money())
    p75: Mapped[Decimal] = mapped_column(Money())
    last_year_cases: Mapped[int]
    last_year_reference: Mapped[Decimal | None] = mapped_column(Money())
    small: Mapped[bool] = mapped_column(Boolean)  # 样本不足
    proxy: Mapped[bool] = mapped_column(Boolean)  # 推算 (the 自费 class, from the insured cost)
    out_of_region_cases: Mapped[int]


class DepositGroup(Base):
    """A hospital × group of a run: its admissions of the window's last year (every class and 异地 included,
    settlements netted) and their cost, from which rule 3's common groups are found (GZ 18, JL 18). The
    bureau's data holds no 自费 patient (nor 异地 ones not settled directly): the base says so where shown."""

    __tablename__ = "deposit_group"
    __table_args__ = (UniqueConstraint("run_id", "institution_id", "group_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("deposit_run.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    group_code: Mapped[str] = mapped_column(String(30))
    admissions: Mapped[int]
    cost: Mapped[Decimal] = mapped_column(Money())


class PublishedDeposit(Base):
    """A line of a hospital's published inpatient-deposit table (住院预交金公示), imported: from its effective
    date it replaces the line of the same group and class before it. ``prior_standard``: the hospital's
    standard before the rules, where known (DEPOSIT.md rule 4)."""

    __tablename__ = "published_deposit"
    __table_args__ = (UniqueConstraint("institution_id", "group_code", "insurance_class", "effective_on"),
                      CheckConstraint("amount >= 0", name="amount_not_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    group_code: Mapped[str] = mapped_column(String(30))
    insurance_class: Mapped[InsuranceClass] = mapped_column(enum_type(InsuranceClass, "insurance_class"))
    amount: Mapped[Decimal] = mapped_column(Money())
    basis: Mapped[str | None] = mapped_column(String(200))  # 测算依据
    effective_on: Mapped[dt.date] = mapped_column(Date)
    prior_standard: Mapped[Decimal | None] = mapped_column(Money())


class DepositFinding(Base):
    """What a check found (DEPOSIT.md rules 1, 3, 4), with its article and the figures it rests on, and its
    status: 新发 → 已通知 → 已整改 / 已核销. Evidence for people (稽核 may cite it for 10§(六)), never an
    automatic refusal. A check run again finds an open finding again rather than adding a second."""

    __tablename__ = "deposit_finding"
    __table_args__ = (Index("ix_deposit_finding_open", "region_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("deposit_run.id"))  # the reference it was checked against
    kind: Mapped[str] = mapped_column(String(30))
    group_code: Mapped[str] = mapped_column(String(30))
    insurance_class: Mapped[str | None] = mapped_column(String(20))
    breach: Mapped[bool] = mapped_column(Boolean)  # red; else a signal
    article: Mapped[str] = mapped_column(String(40))
    published: Mapped[Decimal | None] = mapped_column(Money())
    reference: Mapped[Decimal | None] = mapped_column(Money())
    message: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    found_on: Mapped[dt.date] = mapped_column(Date)
    last_seen_on: Mapped[dt.date] = mapped_column(Date)
    # rule 5 (XJ 24): a recompute trigger's deadline, found_on + the profile's days (calendar days)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    # the notice (整改提示函 / 重新测算提示函) that carried it to the hospital: 已通知 from then on
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("issued_document.id"))
    cleared_note: Mapped[str | None] = mapped_column(String(200))  # 已核销: why, by whom


class PaymentStandard(Base):
    """A disease group's payment standard (病组支付标准: DRG rate × weight, or DIP point value × score) of a
    year, imported; a change of more than the profile's share obliges the hospitals with cases in the group
    to recompute their deposits (DEPOSIT.md rule 5(c), XJ 24)."""

    __tablename__ = "payment_standard"
    __table_args__ = (UniqueConstraint("region_id", "group_code", "insurance_class", "year"),
                      CheckConstraint("standard > 0", name="standard_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    group_code: Mapped[str] = mapped_column(String(30))
    insurance_class: Mapped[InsuranceClass] = mapped_column(enum_type(InsuranceClass, "insurance_class"))
    year: Mapped[int]
    standard: Mapped[Decimal] = mapped_column(Money())


class DepositComplaint(Base):
    """A hospital's verified deposit complaints of a month (投诉核实成立), imported (DEPOSIT.md rule 5(b), XJ 24:
    more than 5% of its admissions obliges it to recompute)."""

    __tablename__ = "deposit_complaint"
    __table_args__ = (UniqueConstraint("institution_id", "month"), CheckConstraint("verified >= 0", name="verified_count"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    month: Mapped[dt.date] = mapped_column(Date)  # its first day
    verified: Mapped[int]  # complaints about deposits verified as founded


class DepositBilling(Base):
    """Rule 7 (GZ 19, JL 20): a hospital's inpatient settlements of a month (by discharge date, refunds left
    out) and how many were settled within the profile's working days of discharge on the holiday calendar;
    computed by the check for its last whole months, read by the screens."""

    __tablename__ = "deposit_billing"
    __table_args__ = (UniqueConstraint("institution_id", "month"),
                      CheckConstraint("within <= settlements", name="within_settlements"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institution.id"))
    month: Mapped[dt.date] = mapped_column(Date)
    settlements: Mapped[int]
    within: Mapped[int]
    working_days: Mapped[int]  # the profile's, when computed


class GrassrootsTable(Base):
    """Rule 8 (GZ 16): the uniform inpatient deposits of a region's grassroots institutions for a year, per
    area × group × class, from a reference run; proposed by 基金结算, approved or returned by 医保行政."""

    __tablename__ = "grassroots_table"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    year: Mapped[int]
    run_id: Mapped[int] = mapped_column(ForeignKey("deposit_run.id"))
    area: Mapped[str] = mapped_column(String(20))  # county / prefecture (the profile's)
    state: Mapped[str] = mapped_column(String(20))
    lines: Mapped[int]
    proposed_by: Mapped[str] = mapped_column(String(60))
    proposed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    decision_note: Mapped[str | None] = mapped_column(String(500))


class GrassrootsAmount(Base):
    """A line of a grassroots table: the area's pooled mean burden and its uniform deposit."""

    __tablename__ = "grassroots_amount"
    __table_args__ = (UniqueConstraint("table_id", "area", "group_code", "insurance_class"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("grassroots_table.id"))
    area: Mapped[str] = mapped_column(String(6))
    group_code: Mapped[str] = mapped_column(String(30))
    insurance_class: Mapped[InsuranceClass] = mapped_column(enum_type(InsuranceClass, "insurance_class"))
    institutions: Mapped[int]
    cases: Mapped[int]
    mean: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    small: Mapped[bool] = mapped_column(Boolean)
    proxy: Mapped[bool] = mapped_column(Boolean)


class DepositStanding(Base):
    """How a region's published deposits stood against a run on a check's day (rules 1, 3): the hospitals with
    cases and those publishing, the lines compared, those within the reference, the distribution of deposit ÷
    reference (``bins``: counts, as ``RATIO_BINS`` cut them) and the silent hospitals with the most cases
    (``silent``: [code, name, cases]); computed by the check, read by the dashboard and the quarterly report."""

    __tablename__ = "deposit_standing"
    __table_args__ = (UniqueConstraint("run_id", "checked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("deposit_run.id"))
    checked_on: Mapped[dt.date] = mapped_column(Date)
    hospitals: Mapped[int]
    publishing: Mapped[int]
    lines: Mapped[int]
    compliant: Mapped[int]
    bins: Mapped[list] = mapped_column(JSON)
    silent: Mapped[list] = mapped_column(JSON)
