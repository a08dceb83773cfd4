"""Screens. Routes parse the request, call a service and render; nothing else."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from sqlalchemy import select

from ..app import sessions
from ..scheduler import TIMEZONE
from ..models import FundPositionRecord, Region
from ..policy.facts import Fund
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN, KIND_CN
from ..services.errors import ServiceError
from ..services.evaluation import evaluate_region
from ..services.overview import campaign_overview, determination_page

bp = Blueprint("web", __name__)
PAGE_SIZE = 50


@bp.app_template_filter("yuan")
def _yuan(value) -> str:
    return fmt_yuan_cn(value)


@bp.app_template_filter("beijing")
def _beijing(value) -> str:
    return value.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


@bp.get("/")
def index():
    with sessions(current_app)() as session:
        regions = session.execute(
            select(Region, FundPositionRecord.year)
            .outerjoin(FundPositionRecord, FundPositionRecord.region_id == Region.id)
            .distinct().order_by(Region.code, FundPositionRecord.year.desc())
        ).all()
    years_by_region: dict[str, list[int]] = {}
    region_names: dict[str, str] = {}
    for region, year in regions:
        region_names[region.code] = region.name
        years_by_region.setdefault(region.code, [])
        if year is not None:
            years_by_region[region.code].append(year)
    if not region_names:
        return render_template("index.html", regions={}, selected=None)

    code = request.args.get("region") or next(iter(region_names))
    if code not in region_names:
        abort(404)
    years = years_by_region[code]
    try:
        year = int(request.args.get("year") or (years[0] if years else 0))
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        abort(400)
    if year not in years:
        return render_template("index.html", regions=region_names, years_by_region=years_by_region,
                               selected=None, region_code=code, message="该统筹地区还没有基金结余数据。")
    overview = campaign_overview(sessions(current_app), code, year)
    determined = None if request.args.get("whatif") else determination_page(sessions(current_app), code, year, page, PAGE_SIZE)
    if determined is not None:
        pages = max(1, -(-determined.count // PAGE_SIZE))
        return render_template(
            "index.html", overview=overview, determined=determined, regions=region_names,
            years_by_region=years_by_region, selected=True, region_code=code, year=year, page=min(page, pages),
            pages=pages, fund_cn=FUND_CN, kind_cn=KIND_CN, profile=overview.profile,
        )
    try:
        result = evaluate_region(sessions(current_app), code, year)
    except ServiceError as err:
        return render_template("index.html", regions=region_names, years_by_region=years_by_region,
                               selected=None, region_code=code, message=err.message)
    ev = result.evaluation
    pages = max(1, -(-len(ev.institutions) // PAGE_SIZE))
    page = min(page, pages)
    facts_by_code = {i.code: i for i in result.facts.institutions}
    return render_template(
        "index.html",
        overview=overview, whatif=True, profile=result.profile,
        regions=region_names, years_by_region=years_by_region, selected=result, region_code=code, year=year,
        ev=ev, rows=ev.institutions[(page - 1) * PAGE_SIZE: page * PAGE_SIZE], facts=facts_by_code,
        page=page, pages=pages, fund_cn=FUND_CN, kind_cn=KIND_CN,
        eligible=sum(1 for r in ev.institutions if r.eligible),
        paid=sum(1 for r in ev.institutions if r.total > 0),
        totals={f: ev.total_for(f) for f in Fund}, total=ev.total_for(),
    )
