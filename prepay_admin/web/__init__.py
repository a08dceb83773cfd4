"""Screens. Routes parse the request, call a query and render; nothing else.

The landing page is the dashboard of a region's year; the other screens hang off it by region
(``/cycle``, ``/determinations``, ``/institutions``, ``/ledger``, ``/audit``) and ``/admin``.
"""
from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request, url_for
from flask_login import current_user, login_required

from accounting.reports import side

from .. import clock, extensions
from ..policy.departments import DEPARTMENT_CN, WHOLE_SERVICE, Department
from ..policy.money import fmt_yuan_cn
from ..policy.reasons import FUND_CN
from ..queries.access import people
from ..queries.dashboard import dashboard
from ..queries.overview import latest_year, region_years
from ..queries.search import search
from ..queries.todo import todo_list
from . import duties
from .params import int_arg, regions, text_arg

bp = Blueprint("web", __name__)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every screen is for signed-in staff; the sign-in page itself lives in ``auth``."""


@bp.app_template_filter("yuan")
def _yuan(value) -> str:
    return fmt_yuan_cn(value)


@bp.app_template_filter("person")
def _person(username: str | None) -> str:
    """A username as people read it, 名字（部门）; once per request (an operator's OS login stays as it is)."""
    if not username:
        return ""
    if "people" not in g:
        g.people = people(extensions.sessions())
    return g.people.get(username, username)


@bp.app_template_filter("beijing")
def _beijing(value) -> str:
    return value.astimezone(clock.TIMEZONE).strftime("%Y-%m-%d %H:%M")


@bp.app_context_processor
def _region_in_view() -> dict:
    """The region and year the screen is about, for the navigation bar."""
    args = request.view_args or {}
    who = current_user.identity if current_user.is_authenticated else None
    region = args.get("region_code") or request.args.get("region") or (who.regions[0] if who and who.regions else None)
    year = args.get("year") or _year_arg()
    # a page about no year (receivables, the books, documents) still offers the year's screens: the newest
    # year with fund figures, the one the dashboard opens on (issue 30: the bar dropped them)
    nav_year = year or (latest_year(extensions.sessions(), region) if region and who is not None else None)
    return {"nav_region": region, "nav_year": nav_year, "nav_policy_year": year or clock.today().year,
            "nav_admin": who is not None and who.department == Department.ADMINISTRATOR}


def _year_arg() -> int | None:
    raw = request.args.get("year", "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 4 else None


@bp.app_template_filter("side")
def _side(value) -> str:
    return side(value)


# where each kind of work is done (``queries.todo.Todo.screen``)
SCREENS = {
    "cycle": lambda region, ids: url_for("cycle.show", region_code=region, year=ids["year"]),
    "batch": lambda region, ids: url_for("batches.show", batch_id=ids["batch_id"]),
    "presettlement": lambda region, ids: url_for("recovery.presettlement_", region_code=region,
                                                 presettlement_id=ids["presettlement_id"]),
    "settlements": lambda region, ids: url_for("recovery.runs", region_code=region),
    "receivables": lambda region, ids: url_for("recovery.list_", region_code=region),
    "imports": lambda region, ids: url_for("imports.index", region_code=region),
    "calendar": lambda region, ids: url_for("admin.calendar"),
    "profiles": lambda region, ids: url_for("profiles.index"),
    "institution": lambda region, ids: url_for("institutions.show", region_code=region, code=ids["code"]),
    "receivable": lambda region, ids: url_for("recovery.show", region_code=region, receivable_id=ids["receivable_id"]),
    "statement": lambda region, ids: url_for("ledger.statement", region_code=region, code=ids["code"],
                                             fund=ids["fund"], **{"from": ids["period"], "to": ids["period"]}),
    "books": lambda region, ids: url_for("ledger.trial_balance", region_code=region,
                                         **{"from": ids["period"], "to": ids["period"]}),
    "document": lambda region, ids: url_for("documents.issued", region_code=region, document_id=ids["document_id"]),
    "deposit": lambda region, ids: url_for("deposit.overview_page", region_code=region, year=ids["year"]),
}


bp.add_app_template_global(duties.may, "may")
bp.add_app_template_global(duties.duty_open, "duty_open")
bp.add_app_template_global(duties.duty_close, "duty_close")


@bp.app_template_global()
def todo_url(region_code: str, item) -> str:
    return SCREENS[item.screen](region_code, item.ids)


@bp.get("/search/<region_code>")
def search_region(region_code: str):
    """One search box: institution, receivable, voucher, document, agreement or batch (issue 30)."""
    if region_code not in regions():
        abort(404)
    q = text_arg("q") or ""
    hits = search(extensions.sessions(), region_code, q)
    return render_template("search.html", region_code=region_code, region_name=regions()[region_code], q=q, hits=hits)


@bp.get("/")
def index():
    years_by_region, names = region_years(extensions.sessions())
    granted = regions()  # nobody sees another region's data
    names = {code: name for code, name in names.items() if code in granted}
    if not names:
        return render_template("index.html", regions={}, selected=None)
    code = request.args.get("region") or next(iter(names))
    if code not in names:
        abort(404)
    years = years_by_region[code]
    year = int_arg("year", years[0] if years else 0, 2100)
    me = current_user.identity
    todo = todo_list(extensions.sessions(), code, clock.today(), me.department)
    common = dict(regions=names, years_by_region=years_by_region, region_code=code, year=year, todo=todo,
                  today=clock.today(),
                  mine=todo.of(me.department), department_cn=DEPARTMENT_CN, me=me,
                  reads_only=me.department == Department.AUDITOR, oversees_all=me.department in WHOLE_SERVICE)
    if year not in years:
        return render_template("index.html", selected=None, message="该统筹地区还没有基金结余数据。", **common)
    board = dashboard(extensions.sessions(), code, year, clock.today())
    return render_template("index.html", selected=True, d=board, fund_cn=FUND_CN, **common)
