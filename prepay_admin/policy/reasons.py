"""Reasons: why a rule decided what it did, with the article and a Chinese message."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

# One Chinese message template per reason code; ``str.format`` fields come
# from the ``details`` the rule attaches.
MESSAGES: Mapping[str, str] = {
    # fund level
    "fund_months_below_minimum": "{fund_cn}累计结余可支付月数 {months} 个月，低于 {minimum} 个月",
    "fund_deficit_last_year": "{fund_cn}上年出现当期赤字（{balance} 元）",
    "fund_deficit_projected": "{fund_cn}按12个月滚动测算预计本年赤字（{balance} 元）",
    # institution
    "kind_not_eligible": "机构类型“{kind_cn}”不属于年度预付金对象",
    "level_below_minimum": "医疗机构级别为{level_cn}，须一级及以上或为社区卫生服务中心",
    "settlement_under_one_year": "医保正常结算起始于 {settled_since}，未满 {years} 个自然年度（须不晚于 {cutoff}）",
    "assessment_below_required": "上年度考核结果为“{assessment_cn}”，须为{allowed_cn}",
    "score_below_minimum": "医保基金使用绩效综合评价 {score} 分，低于 {minimum} 分",
    "credit_grade_not_allowed": "诚信服务信用等级为 {grade} 级，须为 {allowed} 级",
    "security_kind_not_allowed": "非国家机关或国有资产举办的公益性机构不得实行信用担保，须履行资产抵押手续",
    "finances_unsound": "财务管理制度不健全或经营状况不正常",
    "asset_seizure": "存在财产被保全情形",
    "unfulfilled_judgment": "存在未履行完毕生效法律文书确认的债务",
    "enforcement_debtor": "作为被执行人尚未执行终结",
    "reform_noncooperation": "未积极配合医保支付方式改革、集中带量采购等重点任务",
    "traceability_incomplete": "药品耗材追溯码未做到应扫尽扫、应传尽传",
    "penalized_last_12_months": "申请前12个月内受到医保行政部门处罚",
    "fraud_referral": "申请前12个月内因欺诈骗保涉嫌犯罪被移送司法机关",
    "barred": "因提供虚假财务报表等骗取预付金被取消资格，{since} 起三年内不得申请（最后一日为 {until}），申请日 {on} 在此期间内",
    # advance
    "fund_closed": "{fund_cn}本年度未达到预付条件，不予预付",
    "amount_below_minimum": "取整后金额 {rounded} 元，小于 {minimum} 元，不实行预付",
    "capped_by_security": "本机构预付合计 {total} 元超过担保、抵押额度 {cap} 元（一份担保覆盖两项基金），"
                          "按比例分摊后本基金由 {rounded} 元限为 {share} 元",
    "capped_below_minimum": "按担保、抵押额度分摊后本基金不足 {minimum} 元，不实行预付",
    # notes: not refusals
    "security_pending": "尚未办理担保、抵押手续：按未限额金额列入名单，须在签约期内登记担保、抵押后按其额度限额，逾期视作放弃",
}

# Notes explain a listing; they never refuse one.
NOTE_CODES = frozenset({"security_pending"})

FUND_CN = {"employee": "职工医保统筹基金", "resident": "居民医保基金"}
KIND_CN = {
    "hospital": "医院",
    "community_health_center": "社区卫生服务中心",
    "clinic": "诊所",
    "pharmacy": "定点零售药店",
}
LEVEL_CN = {0: "未定级", 1: "一级", 2: "二级", 3: "三级"}
ASSESSMENT_CN = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}


@dataclass(frozen=True)
class Citations:
    """Where each reason's rule comes from: the article of the profile's source text,
    or, for a value the text does not contain, the profile's own default, said so."""

    articles: Mapping[str, str]
    own_defaults: frozenset[str] = frozenset()  # reason codes whose rule the source text lacks
    own_default_note: str = ""  # e.g. "冀医保字〔2024〕7号未作规定，按本方案默认值"

    def article(self, code: str) -> str:
        return OWN_DEFAULT_ARTICLE if code in self.own_defaults else self.articles.get(code, "")


OWN_DEFAULT_ARTICLE = "方案默认"


@dataclass(frozen=True)
class Reason:
    code: str
    article: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "article": self.article, "message": self.message}


def reason(code: str, citations: Citations, **details: Any) -> Reason:
    """Build a reason, citing the article the profile names for ``code``; a rule the
    source text does not contain cites the profile's own default and says so."""
    message = MESSAGES[code].format(**details)
    if code in citations.own_defaults:
        message += f"（{citations.own_default_note}）"
    return Reason(code=code, article=citations.article(code), message=message)
