"""The kinds of import file: their Chinese column headers, how each cell is read, which columns
identify a row, and which department owns the data (24§).

A row becomes a plain dict keyed by the names the records use; the service resolves 机构编码 to the
institution and writes. Nothing here touches a database.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any, Callable, Sequence

from ..policy.departments import DEPARTMENT_CN, Department
from ..policy.deposit import InsuranceClass
from ..policy.facts import Assessment, CreditGrade, Flag, Fund, Kind, SecurityKind
from ..policy.reasons import ASSESSMENT_CN as ASSESSMENT_NAMES
from ..policy.transitions import PaymentState
from .cells import BEIJING, CellError, amount, choice, date, moment, month, score, text, whole, year
from .codes import bank_account_problem, institution_code_problem, uscc_problem


def _institution_code(value: Any) -> str:
    code = text(value, 20).upper()
    problem = institution_code_problem(code)
    if problem:
        raise CellError(problem)
    return code


def _uscc(value: Any) -> str:
    code = text(value, 18).upper()
    problem = uscc_problem(code)
    if problem:
        raise CellError(problem)
    return code


def _bank_account(value: Any) -> str:
    account = text(value, 40).replace(" ", "")
    problem = bank_account_problem(account)
    if problem:
        raise CellError(problem)
    return account


KIND_CN = {"医院": Kind.HOSPITAL, "社区卫生服务中心": Kind.COMMUNITY_HEALTH_CENTER, "诊所": Kind.CLINIC,
           "门诊部": Kind.CLINIC, "零售药店": Kind.PHARMACY, "定点零售药店": Kind.PHARMACY}
LEVEL_CN = {"未定级": 0, "一级": 1, "二级": 2, "三级": 3}
YES_NO = {"是": True, "否": False}
ASSESSMENT_CN = {name: Assessment(key) for key, name in ASSESSMENT_NAMES.items()}  # 优秀 → excellent …
GRADE = {g.value: g for g in CreditGrade}
# 10§: the eight conditions, by the short names staff use
FLAG_CN = {
    "财务管理制度不健全或经营状况不正常": Flag.FINANCES_UNSOUND, "财产被保全": Flag.ASSET_SEIZURE,
    "未履行生效法律文书确认的债务": Flag.UNFULFILLED_JUDGMENT, "被执行人尚未执行终结": Flag.ENFORCEMENT_DEBTOR,
    "未配合医保重点任务": Flag.REFORM_NONCOOPERATION, "追溯码未应扫尽扫应传尽传": Flag.TRACEABILITY_INCOMPLETE,
    "12个月内受医保行政处罚": Flag.PENALIZED_LAST_12_MONTHS, "涉嫌欺诈骗保被移送司法机关": Flag.FRAUD_REFERRAL,
}
SECURITY_CN = {"资产抵押": SecurityKind.PLEDGE, "信用担保": SecurityKind.CREDIT_GUARANTEE}
FUND_CN = {"职工": Fund.EMPLOYEE, "居民": Fund.RESIDENT, "职工医保": Fund.EMPLOYEE, "居民医保": Fund.RESIDENT}


@dataclass(frozen=True)
class Column:
    header: str  # as in the template, in Chinese
    field: str  # the record's name for it
    read: Callable[[Any], Any]
    note: str  # the template's note on the column
    choices: tuple[str, ...] = ()  # a drop-down list in the template
    required: bool = True

    def display(self, value: Any) -> Any:
        """The value as the template writes it (the export uses the same layout)."""
        for name, stored in _options(self).items():
            if stored == value:
                return name
        if hasattr(value, "isoformat") and self.field in ("month",):
            return f"{value:%Y-%m}"
        if isinstance(value, dt.datetime):  # a time of day as staff read it: Beijing, to the second
            return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return value.isoformat() if hasattr(value, "isoformat") else value

    def options(self) -> dict[str, Any]:
        return dict(_options(self))


@lru_cache(maxsize=None)
def _options(column: Column) -> dict[str, Any]:
    return {name: column.read(name) for name in column.choices}


@dataclass(frozen=True)
class ImportKind:
    name: str
    title: str
    owner: Department
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # the fields that identify a row (one per key in a file, and in the database)
    by_institution: bool = True  # rows name an institution of the region by 机构编码
    # headers a file of this kind must not carry: a patient's identity is never imported (DEPOSIT.md)
    forbidden: tuple[str, ...] = ()
    exportable: bool = True  # recorded rows can be written back in the template's layout

    @property
    def owner_cn(self) -> str:
        return DEPARTMENT_CN[self.owner]

    def column(self, field: str) -> Column:
        return next(c for c in self.columns if c.field == field)


def _choices(options: dict[str, Any]) -> tuple[str, ...]:
    return tuple(options)


CODE = Column("机构编码", "institution_code", _institution_code, "国家医保定点医药机构编码：H 或 P 加 11 位数字")
YEAR = Column("年度", "year", year, "预付年度，如 2026")

KINDS = {k.name: k for k in (
    ImportKind("institutions", "定点医药机构", Department.FUND_SETTLEMENT, (
        CODE,
        Column("机构名称", "name", partial(text, max_length=200), "与医保协议一致的全称"),
        Column("统一社会信用代码", "credit_code", _uscc, "18 位，末位为校验码（GB 32100-2015）"),
        Column("机构类型", "kind", partial(choice, options=KIND_CN), "医院、社区卫生服务中心、诊所、零售药店",
               _choices(KIND_CN)),
        Column("医疗机构等级", "level", partial(choice, options=LEVEL_CN), "未定级、一级、二级、三级",
               _choices(LEVEL_CN)),
        Column("是否国家机关或国有资产举办的公益性机构", "state_run", partial(choice, options=YES_NO),
               "是或否（10§(二)：非公益性机构不得实行信用担保）", _choices(YES_NO)),
        Column("医保结算起始日期", "settled_since", date, "开始与医保基金正常结算的日期"),
        Column("开户银行", "bank_name", partial(text, max_length=100), "收款账户的开户行全称"),
        Column("银行账号", "bank_account", _bank_account, "收款账号，8—32 位数字（请设为文本格式）"),
    ), key=("institution_code",)),
    ImportKind("standings", "年度考核与评价", Department.FUND_SETTLEMENT, (
        CODE, YEAR,
        Column("年度考核结果", "assessment", partial(choice, options=ASSESSMENT_CN), "上一年度定点医药机构考核结果",
               _choices(ASSESSMENT_CN)),
        Column("绩效综合评价得分", "performance_score", score, "医保基金使用绩效综合评价得分，0—100，最多两位小数"),
        Column("诚信服务信用等级", "credit_grade", partial(choice, options=GRADE), "A、B、C、D", _choices(GRADE)),
    ), key=("institution_code", "year")),
    ImportKind("conditions", "机构情形", Department.INSPECTION, (
        CODE, YEAR,
        Column("情形", "flag", partial(choice, options=FLAG_CN), "10§ 所列八种情形之一", _choices(FLAG_CN)),
        Column("依据文书", "evidence", partial(text, max_length=500), "处罚决定书、法院文书等的文号"),
        Column("登记日期", "registered_on", date, "稽核部门登记该情形的日期"),
    ), key=("institution_code", "year", "flag")),
    ImportKind("securities", "担保抵押", Department.FUND_SETTLEMENT, (
        CODE,
        Column("类型", "kind", partial(choice, options=SECURITY_CN), "资产抵押或信用担保", _choices(SECURITY_CN)),
        Column("金额", "value", amount, "担保、抵押额度（元），最多两位小数"),
        Column("登记编号", "registration_ref", partial(text, max_length=100), "不动产抵押登记证明号或担保函编号"),
        Column("起始日期", "valid_from", date, "担保、抵押生效日期"),
        Column("截止日期", "valid_until", date, "担保、抵押到期日期（须覆盖预付协议期限）"),
    ), key=("institution_code", "registration_ref")),
    ImportKind("bars", "取消资格", Department.INSPECTION, (
        CODE,
        Column("起始日期", "since", date, "查实之日（21§(六)：三年内不得申请）"),
        Column("截止日期", "until", date, "不得申请的最后一日"),
        Column("原因", "reason", partial(text, max_length=500), "如：提供虚假财务报表骗取预付金"),
        Column("处理决定文号", "decision_ref", partial(text, max_length=100), "取消资格的处理决定文号"),
    ), key=("institution_code", "since")),
    ImportKind("funds", "基金收支", Department.FINANCE, (
        YEAR,
        Column("险种", "fund", partial(choice, options=FUND_CN), "职工或居民", ("职工", "居民")),
        Column("上年末累计结余", "cumulative_surplus", amount, "元"),
        Column("月均基金支出", "monthly_expenditure", amount, "元，须大于 0"),
        Column("上年当期结余", "last_year_current_balance", partial(amount, negative=True), "元，赤字填负数"),
        Column("预测当期结余", "projected_current_balance", partial(amount, negative=True),
               "元，按 12 个月滚动测算，赤字填负数"),
    ), key=("year", "fund"), by_institution=False),
    ImportKind("settlement", "月度结算", Department.FUND_SETTLEMENT, (
        CODE,
        Column("结算年月", "month", month, "如 2025-01"),
        Column("险种", "fund", partial(choice, options=FUND_CN), "职工或居民", ("职工", "居民")),
        Column("基金支付金额", "amount", amount, "当月医保基金支付（元）"),
        Column("其中异地就医金额", "out_of_region", amount, "元，不超过基金支付金额"),
    ), key=("institution_code", "month", "fund")),
    ImportKind("clearing", "年度清算", Department.FUND_SETTLEMENT, (
        CODE,
        Column("清算年度", "year", year, "如 2025"),
        Column("险种", "fund", partial(choice, options=FUND_CN), "职工或居民", ("职工", "居民")),
        Column("年度清算金额", "amount", amount, "年度清算应支付给机构的医保基金（元）；与月度结算一样扣回所欠预付金"),
    ), key=("institution_code", "year", "fund")),
)}

# DEPOSIT.md: the inpatient settlements the bureau holds (SETL_D, 医保结算清单), a prefecture's month in one
# file; no patient's name or ID number: a file with such a column is refused whole
CLASS_CN = {"310": InsuranceClass.EMPLOYEE, "390": InsuranceClass.RESIDENT, "职工": InsuranceClass.EMPLOYEE,
            "职工医保": InsuranceClass.EMPLOYEE, "居民": InsuranceClass.RESIDENT, "居民医保": InsuranceClass.RESIDENT,
            "城乡居民": InsuranceClass.RESIDENT}
REFUND_CN = {"否": False, "是": True, "0": False, "1": True}
PERSONAL_IDENTITY = ("姓名", "身份证", "证件号", "证件号码", "手机", "电话", "住址", "人员编号")


def _area(value: Any) -> str:
    code = text(value, 6)
    if not (len(code) == 6 and code.isdigit()):
        raise CellError("须为 6 位医保区划代码")
    return code


def identifier(value: Any) -> str:
    """A settlement's or visit's id: letters, digits, - and _ (kept only as its pseudonym)."""
    raw = text(value, 60)
    if not raw.isascii() or not raw.replace("-", "").replace("_", "").isalnum():
        raise CellError("须为字母、数字组成的编号")
    return raw


ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])|(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def _free_text(value: Any, max_length: int) -> str:
    """Free text of a settlement (科别, codes): refused where it carries what looks like an ID or phone number."""
    raw = text(value, max_length)
    if ID_NUMBER.search(raw):
        raise CellError("疑似身份证号或手机号：患者身份信息不得导入")
    return raw


MONEY = partial(amount, negative=True)  # a refund's amounts are negative
DISCHARGE_MONEY = (("医疗费总额", "total"), ("基金支付总额", "fund_paid"), ("个人负担总金额", "personal_burden"),
                   ("个人自付", "copay"), ("个人自费", "self_pay"), ("个人账户支出", "account_paid"),
                   ("个人现金支出", "cash_paid"), ("医院负担金额", "hospital_borne"))
DISCHARGES = ImportKind("discharges", "住院结算明细", Department.FUND_SETTLEMENT, (
    Column("结算ID", "settlement_id", identifier, "结算记录的唯一编号（只保存其摘要）"),
    Column("就诊ID", "visit_id", identifier, "同一次住院的各次结算相同（只保存其摘要）"),
    Column("原结算ID", "original_id", identifier, "退费、重新结算时所冲销的结算ID", required=False),
    Column("退费标志", "refund", partial(choice, options=REFUND_CN), "是或否（退费记录的金额为负数）", ("否", "是"),
           required=False),
    CODE,
    Column("险种类型", "insurance_class", partial(choice, options=CLASS_CN), "310 职工 或 390 居民", ("310", "390")),
    Column("参保地医保区划", "insured_region", _area, "6 位区划代码；与本统筹地区不同的为异地就医"),
    Column("医疗类别", "medical_category", partial(_free_text, max_length=20), "如 21 普通住院", required=False),
    Column("入院日期", "admitted_on", date, "如 2025-01-03"),
    Column("出院日期", "discharged_on", date, "如 2025-01-10"),
    Column("结算时间", "settled_at", moment, "北京时间，如 2025-01-11 09:30:00"),
    Column("出院科别", "department", partial(_free_text, max_length=60), "", required=False),
    Column("主要诊断编码", "diagnosis", partial(_free_text, max_length=20), "ICD-10 医保版", required=False),
    Column("主要手术编码", "procedure", partial(_free_text, max_length=20), "ICD-9-CM-3 医保版", required=False),
    Column("病组编码", "group_code", partial(_free_text, max_length=30), "本地区 DRG 组或 DIP 病种编码（分组结果，不重新分组）"),
    Column("分组版本", "group_version", partial(_free_text, max_length=30), "如 CHS-DRG 2.0", required=False),
    *(Column(header, field_, MONEY, "元，最多两位小数") for header, field_ in DISCHARGE_MONEY),
), key=("settlement_id",), forbidden=PERSONAL_IDENTITY, exportable=False)  # its ids are kept only as digests
KINDS[DISCHARGES.name] = DISCHARGES
# DEPOSIT.md: a hospital's published deposits (住院预交金公示), by group and class, from their effective date
PUBLISHED_CLASS_CN = {**CLASS_CN, "自费": InsuranceClass.SELF_PAY}
DEPOSIT_TABLES = ImportKind("deposit-tables", "住院预交金公示", Department.FUND_SETTLEMENT, (
    CODE,
    Column("病组编码", "group_code", partial(text, max_length=30), "与住院结算明细的病组编码一致"),
    Column("参保类别", "insurance_class", partial(choice, options=PUBLISHED_CLASS_CN), "职工医保、居民医保或自费",
           ("职工医保", "居民医保", "自费")),
    Column("预交金额度", "amount", amount, "元"),
    Column("测算依据", "basis", partial(text, max_length=200), "医院公示的计算依据", required=False),
    Column("执行日期", "effective_on", date, "该额度开始执行的日期"),
    Column("细则实施前标准", "prior_standard", amount, "2025 年 6 月 30 日前的预交金标准（元，知道的填写）",
           required=False),
), key=("institution_code", "group_code", "insurance_class", "effective_on"))
KINDS[DEPOSIT_TABLES.name] = DEPOSIT_TABLES
# DEPOSIT.md rule 5(c), XJ 24: the groups' payment standards by year (DRG rate × weight, DIP point × score)
INSURED_CLASS_CN = {"职工医保": InsuranceClass.EMPLOYEE, "居民医保": InsuranceClass.RESIDENT, "职工": InsuranceClass.EMPLOYEE,
                    "居民": InsuranceClass.RESIDENT, "310": InsuranceClass.EMPLOYEE, "390": InsuranceClass.RESIDENT}
def _positive(value: Any) -> Any:
    number = amount(value)
    if number <= 0:
        raise CellError("须大于 0")
    return number


PAYMENT_STANDARDS = ImportKind("payment-standards", "病组支付标准", Department.FUND_SETTLEMENT, (
    Column("病组编码", "group_code", partial(text, max_length=30), "与住院结算明细的病组编码一致"),
    Column("参保类别", "insurance_class", partial(choice, options=INSURED_CLASS_CN), "职工医保或居民医保",
           ("职工医保", "居民医保")),
    Column("年度", "year", year, "该支付标准执行的年度，如 2026"),
    Column("支付标准", "standard", _positive,
           "元：DRG 费率 × 权重，或 DIP 点值 × 分值"),
), key=("group_code", "insurance_class", "year"), by_institution=False)
KINDS[PAYMENT_STANDARDS.name] = PAYMENT_STANDARDS
# DEPOSIT.md rule 5(b), XJ 24 (optional): a hospital's verified deposit complaints of a month
COMPLAINTS = ImportKind("complaints", "预交金投诉", Department.FUND_SETTLEMENT, (
    CODE,
    Column("月份", "month", month, "如 2026-03"),
    Column("核实成立的投诉件数", "verified", partial(whole, low=0, high=1_000_000), "该月核实成立的住院预交金投诉件数"),
), key=("institution_code", "month"))
KINDS[COMPLAINTS.name] = COMPLAINTS


# 15§(四): the bank's return of a batch's transfers (代发回单), in the layout of the instructions the finance
# department sent it (the two last columns blank); not a data import of the region, so not in KINDS
PAYMENT_OUTCOMES = {"成功": PaymentState.PAID, "失败": PaymentState.FAILED, "退票": PaymentState.FAILED}
PAYMENT_RETURN = ImportKind("payment_return", "拨付到账回单", Department.FINANCE, (
    Column("指令编号", "instruction_id", partial(whole, low=1, high=2_000_000_000), "拨付指令的编号，勿改"),
    CODE,
    Column("险种", "fund", partial(choice, options=FUND_CN), "职工或居民", ("职工", "居民")),
    Column("收款账号", "bank_account", _bank_account, "机构的银行账号，勿改"),
    Column("金额", "amount", amount, "拨付金额（元），勿改"),
    Column("银行流水号", "bank_ref", partial(text, max_length=100), "银行转账的交易流水号（退票的可空）",
           required=False),
    Column("到账日期", "paid_on", date, "银行转账成功的日期（退票的可空）", required=False),
    # 退票 (issue 30): the bank's result per row; blank is 成功 when a reference and a date are given
    Column("处理结果", "outcome", partial(choice, options=PAYMENT_OUTCOMES), "成功或失败（退票）", ("成功", "失败"),
           required=False),
    Column("失败原因", "failure", partial(text, max_length=200), "银行退票的原因，如账户已销户、户名不符", required=False),
    Column("发送次数", "attempt", partial(whole, low=1, high=99), "第几次发送给银行（重新拨付后为 2、3……），勿改",
           required=False),
), key=("instruction_id",))


def row_problems(kind: ImportKind, record: dict[str, Any]) -> list[tuple[str, str]]:
    """Checks across the cells of one row: (header, message)."""
    problems = []
    if kind.name == "payment_return":
        if record.get("outcome") == PaymentState.FAILED:
            if not record.get("failure"):
                problems.append(("失败原因", "处理结果为失败（退票）时须填写银行的失败原因"))
        else:
            problems += [(header, f"到账成功的须填写{header}") for header, field in (("银行流水号", "bank_ref"),
                                                                             ("到账日期", "paid_on"))
                         if record.get(field) is None]
    if kind.name == "bars" and record["until"] < record["since"]:
        problems.append(("截止日期", "截止日期早于起始日期"))
    if kind.name == "securities" and record["valid_until"] < record["valid_from"]:
        problems.append(("截止日期", "截止日期早于起始日期"))
    if kind.name == "settlement" and record["out_of_region"] > record["amount"]:
        problems.append(("其中异地就医金额", "异地就医金额大于基金支付金额"))
    if kind.name == "discharges":
        problems += _discharge_problems(record)
    if kind.name == "funds" and record["monthly_expenditure"] <= 0:
        problems.append(("月均基金支出", "月均基金支出须大于 0"))
    if kind.name == "institutions" and record["kind"] == Kind.PHARMACY and not record["institution_code"].startswith("P"):
        problems.append(("机构编码", "零售药店的编码须以 P 开头"))
    return problems


def discharge_clean(fields: Sequence[str]) -> Callable[[Sequence[Any]], bool]:
    """A cheap test that a settlement's values (in ``fields`` order, its amounts in one unit: yuan or fen)
    pass every check of ``_discharge_problems``; where it says not, those checks say which fail and why."""
    at = {name: n for n, name in enumerate(fields)}
    total, fund, burden, copay, self_pay, hospital = (at[f] for f in ("total", "fund_paid", "personal_burden", "copay",
                                                                       "self_pay", "hospital_borne"))
    refund, original, admitted, discharged = at["refund"], at["original_id"], at["admitted_on"], at["discharged_on"]
    amounts = itemgetter(*(at[f] for _, f in DISCHARGE_MONEY))

    def clean(v: Sequence[Any]) -> bool:
        if v[total] != v[fund] + v[burden] + v[hospital] or v[burden] != v[copay] + v[self_pay] \
                or v[discharged] < v[admitted]:
            return False
        if v[refund]:
            return bool(v[original]) and bool(max(amounts(v)) <= 0)
        return bool(min(amounts(v)) >= 0)

    return clean


def _discharge_problems(record: dict[str, Any]) -> list[tuple[str, str]]:
    """DEPOSIT.md: the fen identities; a refund names what it refunds and carries negative amounts."""
    problems = []
    refund = bool(record.get("refund"))
    if record["total"] != record["fund_paid"] + record["personal_burden"] + record["hospital_borne"]:
        problems.append(("医疗费总额", "须等于 基金支付总额 + 个人负担总金额 + 医院负担金额"))
    if record["personal_burden"] != record["copay"] + record["self_pay"]:
        problems.append(("个人负担总金额", "须等于 个人自付 + 个人自费"))
    if refund and not record.get("original_id"):
        problems.append(("原结算ID", "退费记录须填写所冲销的原结算ID"))
    if refund and any(record[f] > 0 for _, f in DISCHARGE_MONEY):
        header = next(h for h, f in DISCHARGE_MONEY if record[f] > 0)
        problems.append((header, "退费记录的金额须为负数或零"))
    if not refund and any(record[f] < 0 for _, f in DISCHARGE_MONEY):
        header = next(h for h, f in DISCHARGE_MONEY if record[f] < 0)
        problems.append((header, "金额为负数的须为退费记录（退费标志填“是”）"))
    if record["discharged_on"] < record["admitted_on"]:
        problems.append(("出院日期", "出院日期早于入院日期"))
    return problems
