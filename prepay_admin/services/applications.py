"""15§(一): an institution's voluntary application, with the self-check of the attachment form."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from marshmallow import ValidationError, validate
from sqlalchemy import Integer, String, and_, bindparam, select
from sqlalchemy.orm import sessionmaker

from ..models import Application, Department, Institution
from ..policy.transitions import APPLICATION, ApplicationState, CampaignState
from ..validation import Choice, StrictBoolean, StrictSchema, Text, pointer_errors
from .errors import NotFound, Refused, ServiceError
from .unit_of_work import campaign_step

# The attachment of the Nantong text: 定点医疗机构自查情况, in its order.
SELF_CHECK_QUESTIONS = {
    "settled_over_one_year": "医保结算是否满一年以上",
    "last_assessment": "上一年度定点医药机构绩效考核评价结果",
    "operating_normally": "经营是否正常",
    "finance_system_sound": "财务管理制度是否健全",
    "asset_seizure": "有无财产被保全的情形",
    "unfulfilled_judgment": "有无未履行完毕生效法律文书确认的债务的情形",
    "enforcement_debtor": "有无作为被执行人尚未执行终结的情形",
    "cooperates_with_reforms": "是否积极配合医保部门开展支付方式改革、集中带量采购、国家谈判药品落地、信息化等医保重点任务",
    "traceability_codes_uploaded": "药品耗材追溯码信息能否做到“应扫尽扫、应传尽传”",
    "cooperates_with_supervision": "是否积极配合医保部门开展基金监管日常检查、专项检查、飞行检查等工作任务",
    "penalized_or_referred": "12个月内有无被医保行政部门处罚或因欺诈骗保涉嫌犯罪被移送司法机关的情形",
    "procurement_violation": "近一年在药械采购中是否有违规行为、拖欠货款行为被医疗保障部门通报的情形",
}


class SelfCheckSchema(StrictSchema):
    settled_over_one_year = StrictBoolean(required=True)
    last_assessment = Choice(["excellent", "good", "pass", "fail"], required=True)
    operating_normally = StrictBoolean(required=True)
    finance_system_sound = StrictBoolean(required=True)
    asset_seizure = StrictBoolean(required=True)
    unfulfilled_judgment = StrictBoolean(required=True)
    enforcement_debtor = StrictBoolean(required=True)
    cooperates_with_reforms = StrictBoolean(required=True)
    traceability_codes_uploaded = StrictBoolean(required=True)
    cooperates_with_supervision = StrictBoolean(required=True)
    penalized_or_referred = StrictBoolean(required=True)
    procurement_violation = StrictBoolean(required=True)
    # 承诺对所提交资料的真实性负责: a field rule, so it is reported together with any other problem
    commitment = StrictBoolean(required=True, validate=validate.Equal(True, error="须承诺对所提交资料的真实性负责"))
    signed_by = Text(required=True, validate=validate.Length(min=1, max=60, error="须为 1—60 个字符"))  # 医院负责人


_SELF_CHECK = SelfCheckSchema()  # a schema keeps no state between loads: built once, not per application


def clean_answers() -> dict[str, Any]:
    """The answers of an institution with nothing to declare (for the demo and for tests)."""
    answers: dict[str, Any] = {k: False for k in SELF_CHECK_QUESTIONS}
    answers.update(settled_over_one_year=True, last_assessment="good", operating_normally=True,
                   finance_system_sound=True, cooperates_with_reforms=True, traceability_codes_uploaded=True,
                   cooperates_with_supervision=True, commitment=True, signed_by="院长")
    return answers


class AnswersRefused(Refused):
    """The application form's answers refused, each by its question (``/commitment``), so that a screen
    shows it beside its box; its summary says them plainly (a few questions, not a file)."""

    @property
    def summary(self) -> str:
        return "；".join(message for _, message in self.problems)


def apply(sessions: sessionmaker, region_code: str, year: int, institution_code: str, answers: dict[str, Any],
          submitted_on: dt.date, user: str) -> int:
    """Record an application (基金结算部门 receives it); refused after the profile's deadline."""
    try:
        clean = _SELF_CHECK.load(answers)
    except ValidationError as err:
        raise AnswersRefused(list(pointer_errors(err.messages)), "answers", "申请表的自查答复") from None
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT) as step:
        session, region, campaign = step.session, step.region, step.campaign
        if campaign.state != CampaignState.OPEN:
            raise ServiceError(f"{year} 年度名单已确定，不再受理申请", "year")
        deadline = step.profile.calendar.application_deadline.in_campaign(year)
        if submitted_on > deadline:
            raise ServiceError(f"申请已于 {deadline} 截止（15§(一)），{submitted_on} 提交的申请不予受理", "submitted_on")
        found = session.execute(_INSTITUTION_AND_APPLICATION, {  # its application of the year, if it made one
            "campaign_id": campaign.id, "region_id": region.id, "code": institution_code}).first()
        if found is None:
            raise NotFound(f"没有定点医药机构 {institution_code}", "institution")
        institution, applied = found
        if applied is not None:
            raise ServiceError(f"{institution.name} 已提交 {year} 年度申请", "institution")
        app = Application(campaign_id=campaign.id, institution_id=institution.id, state=ApplicationState.SUBMITTED,
                          submitted_on=submitted_on, self_check_json=json.dumps(clean, ensure_ascii=False),
                          signed_by=clean["signed_by"], recorded_by=user)
        session.add(app)
        session.flush()
        step.record(APPLICATION, app.id, "submit", None, ApplicationState.SUBMITTED, f"{submitted_on} 提交")
        return app.id


# built once with bind parameters: building the statement cost more than running it, per application
_INSTITUTION_AND_APPLICATION = (
    select(Institution, Application.id).outerjoin(Application, and_(
        Application.institution_id == Institution.id,
        Application.campaign_id == bindparam("campaign_id", type_=Integer)))
    .where(Institution.region_id == bindparam("region_id", type_=Integer),
           Institution.code == bindparam("code", type_=String)))


def withdraw(sessions: sessionmaker, region_code: str, year: int, institution_code: str, user: str, reason: str) -> None:
    with campaign_step(sessions, user, region_code, year, Department.FUND_SETTLEMENT) as step:
        app = step.session.scalar(select(Application).join(Institution).where(
            Institution.region_id == step.region.id, Institution.code == institution_code,
            Application.campaign_id == step.campaign.id))
        if app is None:
            raise NotFound(f"{institution_code} 没有 {year} 年度申请", "institution")
        step.transition(APPLICATION, app, "withdraw", reason)
