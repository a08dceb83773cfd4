"""The return path on screen (RULES §5, §6), one blueprint in three modules cut along its screens:
``receivables`` (what institutions owe back with its age, each receivable's history and the finance
department's actions on it, recovery triggers by the inspection department, the year end),
``settlements`` (the monthly settlement runs and the annual clearing, with the bank's payment list) and
``presettlements`` (26§).

Everyone granted the region reads; each form calls one service, which checks the department (24§): a
refusal of who or where is a recorded 403, any other refusal is shown beside its field.
"""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from ...policy.accounts import DEPOSIT_ACCOUNT_CN
from ...policy.facts import Fund
from ...policy.reasons import FUND_CN
from ..params import require_granted_region

bp = Blueprint("recovery", __name__, url_prefix="/recovery/<region_code>")
FUNDS = [SelectChoice(f.value, FUND_CN[f]) for f in Fund]
ACCOUNT_CHOICES = [SelectChoice(key, name) for key, name in DEPOSIT_ACCOUNT_CN.items()]
PAGE_SIZE, PAGE_MAX = 50, 100_000


@bp.before_request
@login_required
def _granted() -> None:
    require_granted_region()



from . import presettlements, receivables, settlements  # noqa: E402, F401  (their routes join the blueprint)
