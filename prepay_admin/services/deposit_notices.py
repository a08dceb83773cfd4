"""The deposit notices (DEPOSIT.md): what a rectification notice (整改提示函: rules 1, 3, 4) and a recompute
notice (重新测算提示函: rule 5, XJ 24) carry to a hospital — its open findings of the year's current
reference, each with its figures and article, and the run they rest on (its id, window, profile and the
SHA-256 of its inputs), so that the notice can always be traced to the figures it was based on. Issuing
one marks the findings it carried 已通知 (the register keeps the file); nothing here refuses anything.

Built through the document registry (``services.documents``); the figures sent out never include a cell
under the profile's ``published_min_cases`` (a finding rests on a cell of at least ``min_cases``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from agreements.typeset import cn_date as cn

from .. import clock
from ..models import DepositCell, DepositFinding, DepositRun, GrassrootsAmount, GrassrootsTable, Institution, Transition
from ..policy.deposit import (
    ALL_GROUPS,
    CLASS_CN,
    FINDING,
    FINDING_CN,
    MEASURE_CN,
    OPEN,
    RECOMPUTE,
    RECTIFY,
    TRIGGERS,
    FindingKind,
    InsuranceClass,
)
from ..policy.transitions import GrassrootsState
from ..policy.workdays import add_days
from ..profiles.deposit import load_deposit_profile
from .calendar import workday_lookup
from .deposit import current_run
from .errors import NotFound, ServiceError
from .unit_of_work import Step


def _institution(step: Step, code: str) -> Institution:
    inst = step.session.scalar(select(Institution).where(Institution.region_id == step.region.id,
                                                         Institution.code == (code or "").strip().upper()))
    if inst is None:
        raise NotFound(f"{step.region.name} 没有定点医药机构 {code}", "institution")
    return inst


def _current(step: Step, year: int) -> DepositRun:
    run = current_run(step.session, step.region.id, year)
    if run is None:
        raise ServiceError(f"尚未测算 {year} 年度的住院预交金参考额度", "year")
    return run


def _notice(step: Step, year: int, code: str, kinds: tuple[FindingKind, ...], what: str):
    session = step.session
    inst = _institution(step, code)
    run = _current(step, year)
    profile = load_deposit_profile(step.region.deposit_profile)
    rows = session.scalars(select(DepositFinding).where(
        DepositFinding.institution_id == inst.id, DepositFinding.status.in_(OPEN),
        DepositFinding.kind.in_([k.value for k in kinds]),
        DepositFinding.run_id.in_(select(DepositRun.id).where(DepositRun.region_id == step.region.id,
                                                              DepositRun.year == year)))
                           .order_by(DepositFinding.kind, DepositFinding.group_code, DepositFinding.id)).all()
    if not rows:
        raise ServiceError(f"{inst.name} 没有未办结的{what}事项，无需出具", "institution")
    cases = {(c.group_code, c.insurance_class): c.cases for c in session.scalars(select(DepositCell).where(
        DepositCell.run_id == run.id, DepositCell.institution_id == inst.id,
        DepositCell.group_code.in_({f.group_code for f in rows})))}
    findings = []
    for no, f in enumerate(rows, start=1):
        n = cases.get((f.group_code, InsuranceClass(f.insurance_class))) if f.insurance_class else None
        cited = "" if f.article == "默认" else f"（依据：{f.article}）"
        findings.append({
            "no": no, "detail": f"【{'违规' if f.breach else '提示'}】{FINDING_CN[FindingKind(f.kind)]}。{f.message}{cited}",
            "group": f.group_code, "class_cn": CLASS_CN[InsuranceClass(f.insurance_class)] if f.insurance_class else "—",
            "problem": FINDING_CN[FindingKind(f.kind)], "message": f.message,
            "published": "" if f.published is None else f"{f.published:,.2f}",
            "reference": "" if f.reference is None else f"{f.reference:,.2f}",
            # a cell under the published minimum is never shown outside the bureau
            "cases": "" if n is None or n < profile.published_min_cases else str(n),
            "article": f.article, "found_on": f.found_on.isoformat(),
            "due_on": f.due_on.isoformat() if f.due_on else ""})
    due = max((f.due_on for f in rows if f.due_on), default=None) or add_days(
        clock.today(), profile.recompute_days, workday_lookup(session, step.region.code)).date
    breaches = any(f.breach for f in rows)
    if kinds == RECOMPUTE:
        triggered = any(FindingKind(f.kind) in TRIGGERS for f in rows)
        yearly = any(f.kind == FindingKind.NOT_UPDATED.value for f in rows)
        cite = profile.article("recompute_obliged")
        rules = ((f"{'根据' + cite + '，' if cite != '默认' else ''}同一病种连续 {profile.below_months} 个月实际个人负担低于预交金"
                  f"标准的 {profile.below_ratio:.0%}、患者投诉率超过 {profile.complaint_share:.0%} 且核实成立，或医保支付标准变动超过 "
                  f"{profile.standard_change:.0%} 的，医疗机构应在 {profile.recompute_days} 日内重新测算住院预交金收取额度。"
                  if profile.recompute_obliged else
                  f"根据{profile.article('standard_change').split('（')[0]}，病种费用或者医保报销比例发生较大变化时，医疗机构应适时"
                  "调整住院预交金额度。") if triggered else "") + (
            "原则上每年应根据最新医保结算数据对住院预交金收取额度进行一次更新。" if yearly else "")
        whole = "（“全部病组”指整张公示表）" if any(f.group_code == ALL_GROUPS for f in rows) else ""
        if triggered and profile.recompute_obliged and due < clock.today():
            demand = (f"上述须重新测算的事项已超过 {profile.recompute_days} 日期限（{cn(due)}），请你单位立即重新测算{whole}，"
                      "重新公示，并将测算结果及依据报送本局。")
        elif triggered and profile.recompute_obliged:
            demand = f"请你单位于 {cn(due)} 前重新测算上述病种的住院预交金额度{whole}，重新公示，并将测算结果及依据报送本局。"
        elif triggered:
            demand = f"请你单位结合实际研究调整上述病种的住院预交金额度{whole}，并将调整情况报送本局。"
        else:
            demand = "请你单位依据本年度最新测算结果更新住院预交金公示表，并将更新情况报送本局。"
    else:
        rules = "医保患者的住院预交金额度不得高于同病种同类别患者的个人平均负担" + (
            f"，自 {cn(profile.freeze_from)} 起不得高于此前的标准" if profile.freeze_from else "") + (
            "；常见病种应当公示预交金额度。" if profile.missing_common_is_breach else "；建议公示常见病种的预交金额度。")
        demand = ((f"对标为违规的问题，请你单位于 {cn(due)} 前完成整改，重新公示，并将整改情况报送本局；" if breaches else "")
                  + "标为提示的事项，请结合实际研究调整。")
    context = {"institution": {"code": inst.code, "name": inst.name}, "findings": findings, "rules": rules,
               "demand": demand,
               "run": {"id": run.id, "window_from": run.window_from.isoformat(), "window_to": run.window_to.isoformat(),
                       "profile": f"{profile.title}（{run.profile_name} 第 {run.profile_version} 版）",
                       "sha256": run.inputs_sha256, "admissions": run.admissions},
               "measure": MEASURE_CN.get(profile.measure, profile.measure.value), "days": profile.recompute_days,
               "due_on": due.isoformat()}
    return f"{year}/{inst.code}", inst, context, {"run_id": run.id, "findings": [f.id for f in rows]}


def rectification(step: Step, year: int, code: str):
    """Rules 1, 3, 4: a published deposit above the reference or the pre-rules standard, a common group
    missing from the table."""
    return _notice(step, year, code, RECTIFY, "整改")


def recompute(step: Step, year: int, code: str):
    """Rule 5 (XJ 24): what obliges the hospital to recompute within the profile's days."""
    return _notice(step, year, code, RECOMPUTE, "重新测算")


def notified(step: Step, source: dict, document_id: int) -> None:
    """The findings a notice carried are 已通知 by it (a finding notified again points at the newer one)."""
    step.lock_region()  # after a clearance or a check in flight: a row is moved from the state it is in now
    for row in step.session.scalars(select(DepositFinding).where(DepositFinding.id.in_(source["findings"]),
                                                                 DepositFinding.status.in_(OPEN)).with_for_update()):
        step.record(FINDING, row.id, "notify", row.status, FINDING.next(row.status, "notify"), f"文书 {document_id}")
        row.status, row.notice_id = "notified", document_id



def grassroots_table(step: Step, year: int):
    """Rule 8 (GZ 16): the approved grassroots table as it is sent to the health commission and the
    institutions; lines under the profile's ``published_min_cases`` left out, those under ``min_cases`` marked."""
    session = step.session
    profile = load_deposit_profile(step.region.deposit_profile)
    table = session.scalar(select(GrassrootsTable).where(GrassrootsTable.region_id == step.region.id,
                                                         GrassrootsTable.year == year,
                                                         GrassrootsTable.state == GrassrootsState.APPROVED))
    if table is None:
        raise ServiceError(f"{year} 年度基层医疗机构统一额度表尚未经医保行政部门审定", "year")
    rows = session.scalars(select(GrassrootsAmount).where(GrassrootsAmount.table_id == table.id)
                           .order_by(GrassrootsAmount.area, GrassrootsAmount.group_code,
                                     GrassrootsAmount.insurance_class)).all()
    shown = [r for r in rows if r.cases >= profile.published_min_cases]
    lines = [{"no": n, "area": r.area, "group": r.group_code, "class_cn": CLASS_CN[InsuranceClass(r.insurance_class)],
              "cases": r.cases, "amount": f"{r.amount:,.2f}",
              "remark": "、".join(m for m, on in (("样本不足，仅供参考", r.small), ("按医保患者费用推算", r.proxy)) if on)}
             for n, r in enumerate(shown, start=1)]
    run = session.get(DepositRun, table.run_id)
    context = {"lines": lines, "left_out": len(rows) - len(shown), "min_cases": profile.published_min_cases,
               "approved_by": table.decided_by or "", "approved_on": table.decided_at.date().isoformat()
               if table.decided_at else "",
               "run": {"id": run.id, "window_from": run.window_from.isoformat(), "window_to": run.window_to.isoformat(),
                       "sha256": run.inputs_sha256}}
    return f"{year}", None, context, {"table_id": table.id, "run_id": run.id, "lines": len(shown)}



def hospital_reference(step: Step, year: int, code: str):
    """Rule 1: a hospital's reference of the year as sent to it, the 计算依据 it publishes beside its table:
    per group and class its cases, mean cost and mean burden, 样本不足 and 推算 marked, cells under the
    profile's ``published_min_cases`` left out."""
    session = step.session
    inst = _institution(step, code)
    run = _current(step, year)
    profile = load_deposit_profile(step.region.deposit_profile)
    cells = session.scalars(select(DepositCell).where(DepositCell.run_id == run.id, DepositCell.institution_id == inst.id)
                            .order_by(DepositCell.group_code, DepositCell.insurance_class)).all()
    if not cells:
        raise ServiceError(f"{inst.name} 在第 {run.id} 次测算中没有住院病例", "institution")
    shown = [c for c in cells if c.cases >= profile.published_min_cases]
    lines = [{"no": n, "group": c.group_code, "class_cn": CLASS_CN[InsuranceClass(c.insurance_class)], "cases": c.cases,
              "mean_cost": f"{c.mean_cost:,.2f}", "reference": f"{c.reference:,.2f}",
              "remark": "、".join(m for m, on in (("样本不足，仅供参考", c.small), ("按医保患者费用推算", c.proxy)) if on)}
             for n, c in enumerate(shown, start=1)]
    context = {"institution": {"code": inst.code, "name": inst.name}, "lines": lines,
               "left_out": len(cells) - len(shown), "min_cases": profile.published_min_cases,
               "measure": MEASURE_CN.get(profile.measure, profile.measure.value),
               "run": {"id": run.id, "window_from": run.window_from.isoformat(), "window_to": run.window_to.isoformat(),
                       "profile": f"{profile.title}（{run.profile_name} 第 {run.profile_version} 版）",
                       "sha256": run.inputs_sha256}}
    return f"{year}/{inst.code}", inst, context, {"run_id": run.id, "cells": [c.id for c in shown]}



def quarterly_report(step: Step, year: int):
    """DEPOSIT.md item 6: the quarter's report to the health commission — who publishes, how the published
    amounts stand against the reference, what was found, notified and rectified in the quarter, the recompute
    deadlines passed, billing within the working days, and the advance holders with old breaches. The
    quarter is the one today falls in (of ``year``'s reference)."""
    from ..queries.deposit import overview_in

    today = clock.today()
    quarter = (today.month - 1) // 3 + 1
    start = dt.date(today.year, 3 * quarter - 2, 1)
    o = overview_in(step.session, step.region, year, today, kept_ok=False)  # the report states today's standing
    if o.run is None:
        raise ServiceError(f"尚未测算 {year} 年度的住院预交金参考额度", "year")
    moved = dict(step.session.execute(
        select(Transition.action, func.count()).where(Transition.machine == FINDING.name,
                                                       Transition.at >= dt.datetime.combine(start, dt.time(), tzinfo=clock.TIMEZONE),
                                                       Transition.object_id.in_(select(DepositFinding.id).where(
                                                           DepositFinding.region_id == step.region.id)))
        .group_by(Transition.action)).all())
    found = step.session.scalar(select(func.count()).select_from(DepositFinding).where(
        DepositFinding.region_id == step.region.id, DepositFinding.found_on >= start)) or 0
    overdue = sum(1 for t in o.triggers if t.days_left < 0)
    kinds = [{"label": label, "open": n, "notified": notified} for _, label, n, notified in o.open_by_kind]
    context = {
        "quarter": f"{today.year} 年第 {quarter} 季度", "as_of": today.isoformat(),
        "hospitals": o.hospitals, "publishing": o.publishing, "silent": o.hospitals - o.publishing,
        "lines": o.lines, "compliant": o.compliant,
        "compliance": "—" if o.compliance is None else f"{o.compliance:.2%}",
        "kinds": kinds or [{"label": "无", "open": 0, "notified": 0}], "found": found,
        "notified": moved.get("notify", 0), "rectified": moved.get("rectify", 0), "cleared": moved.get("clear", 0),
        "overdue": overdue, "billing": "—" if o.billing is None else
        f"{o.billing.month:%Y-%m} 出院的 {o.billing.settlements} 笔中 {o.billing.within} 笔（{o.billing.rate:.2%}）在 "
        f"{o.billing.working_days} 个工作日内结算",
        "red_holders": len(o.red_holders), "red_held": f"{o.red_held:,.2f}", "red_days": o.red_days,
        "run": {"id": o.run.id, "window_from": o.run.window_from.isoformat(), "window_to": o.run.window_to.isoformat()}}
    return f"{today.year}-Q{quarter}", None, context, {"run_id": o.run.id, "as_of": today.isoformat()}
