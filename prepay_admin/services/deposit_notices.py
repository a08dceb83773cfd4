"""The deposit notices (DEPOSIT.md): what a rectification notice (整改提示函: rules 1, 3, 4) and a recompute
notice (重新测算提示函: rule 5, XJ 24) carry to a hospital — its open findings of the year's current
reference, each with its figures and article, and the run they rest on (its id, window, profile and the
SHA-256 of its inputs), so that the notice can always be traced to the figures it was based on. Issuing
one marks the findings it carried 已通知 (the register keeps the file); nothing here refuses anything.

Built through the document registry (``services.documents``); the figures sent out never include a cell
under the profile's ``published_min_cases`` (a finding rests on a cell of at least ``min_cases``)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from .. import clock
from ..models import DepositCell, DepositFinding, DepositRun, GrassrootsAmount, GrassrootsTable, Institution
from ..policy.deposit import (
    CLASS_CN,
    FINDING,
    FINDING_CN,
    MEASURE_CN,
    OPEN,
    RECTIFY,
    TRIGGERS,
    FindingKind,
    InsuranceClass,
)
from ..policy.transitions import GrassrootsState
from ..profiles.deposit import load_deposit_profile
from .errors import NotFound, ServiceError
from .unit_of_work import Step


def _institution(step: Step, code: str) -> Institution:
    inst = step.session.scalar(select(Institution).where(Institution.region_id == step.region.id,
                                                         Institution.code == (code or "").strip().upper()))
    if inst is None:
        raise NotFound(f"{step.region.name} 没有定点医药机构 {code}", "institution")
    return inst


def _current(step: Step, year: int) -> DepositRun:
    run = step.session.scalar(select(DepositRun).where(DepositRun.region_id == step.region.id, DepositRun.year == year,
                                                       DepositRun.superseded_by.is_(None)))
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
            "no": no, "detail": f"{FINDING_CN[FindingKind(f.kind)]}。{f.message}{cited}",
            "group": f.group_code, "class_cn": CLASS_CN[InsuranceClass(f.insurance_class)] if f.insurance_class else "—",
            "problem": FINDING_CN[FindingKind(f.kind)], "message": f.message,
            "published": "" if f.published is None else f"{f.published:,.2f}",
            "reference": "" if f.reference is None else f"{f.reference:,.2f}",
            # a cell under the published minimum is never shown outside the bureau
            "cases": "" if n is None or n < profile.published_min_cases else str(n),
            "article": f.article, "found_on": f.found_on.isoformat(),
            "due_on": f.due_on.isoformat() if f.due_on else ""})
    due = max((f.due_on for f in rows if f.due_on), default=None) or clock.today() + dt.timedelta(
        days=profile.recompute_days)
    context = {"institution": {"code": inst.code, "name": inst.name}, "findings": findings,
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
    return _notice(step, year, code, TRIGGERS, "重新测算")


def notified(step: Step, source: dict, document_id: int) -> None:
    """The findings a notice carried are 已通知 by it (a finding notified again points at the newer one)."""
    for row in step.session.scalars(select(DepositFinding).where(DepositFinding.id.in_(source["findings"]),
                                                                 DepositFinding.status.in_(OPEN))):
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
