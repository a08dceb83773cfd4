"""Evaluate a region's campaign year from the database through the rules engine, and the what-if screen's
pages of it.

The what-if evaluates every institution of the region: 5 s at 100,000 institutions. A screen pages through
it 50 rows at a time, so it is evaluated once per *version of the data it reads* and paged from the result
(issue 30). The version is read in one statement of index look-ups: the highest id of every table the
facts come from (rows are added there, and changed only by a recorded import — ``data_import`` — or a
recorded transition — ``transition``), the region's profile, the calendar, and today (the rules ask what
is valid on a day). Any of them moving evaluates again; nothing else can change what the rules see.
"""
from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounting.collector import collector_paused

from .. import clock
from ..models import (
    AnnualStanding,
    Application,
    Bar,
    CalendarDay,
    Campaign,
    ConditionLift,
    DataImport,
    FundPositionRecord,
    Institution,
    InstitutionCondition,
    PolicyOverride,
    RecoveryTrigger,
    SecurityPledge,
    StoredProfile,
    Transition,
)
from ..policy.engine import Evaluation, InstitutionResult, evaluate
from ..policy.facts import Fund, InstitutionFacts, RegionFacts
from ..policy.profile import PolicyProfile as Profile
from ..services.facts import region_facts
from ..services.rules import effective_profile
from ..services.unit_of_work import find_region

# every table whose rows the facts or the effective profile are read from (see the module's note)
VERSIONED = (Institution, AnnualStanding, FundPositionRecord, InstitutionCondition, ConditionLift, Bar,
             SecurityPledge, Application, RecoveryTrigger, PolicyOverride, StoredProfile, CalendarDay, Campaign,
             DataImport, Transition)
CACHED = 4  # what-ifs kept per database: a region's year or two, as staff page through them


@dataclass(frozen=True)
class RegionEvaluation:
    region_code: str
    region_name: str
    facts: RegionFacts
    profile: Profile
    evaluation: Evaluation


@dataclass(frozen=True)
class WhatIf:
    """A region's what-if with what its screen shows above the rows, computed once."""

    result: RegionEvaluation
    facts: dict[str, InstitutionFacts]  # by code
    eligible: int
    paid: int
    totals: dict[str, Decimal]  # by fund
    total: Decimal


@dataclass(frozen=True)
class WhatIfPage:
    whatif: WhatIf
    rows: tuple[InstitutionResult, ...]
    page: int
    pages: int


def evaluate_region(sessions: sessionmaker, region_code: str, year: int) -> RegionEvaluation:
    """The what-if of a region's year: every institution's facts and the rules over them (a bulk read:
    the collector is paused for it, see ``accounting.collector``)."""
    with collector_paused():
        with sessions() as session:
            region = find_region(session, region_code)
            profile = effective_profile(session, region, year)
            facts = region_facts(session, region, year, profile)
        return RegionEvaluation(region.code, region.name, facts, profile, evaluate(facts, profile))


def data_version(session: Session, region_code: str) -> tuple:
    """The version of what a region's what-if reads (the module's note), in one statement."""
    highest = [select(func.max(model.id)).scalar_subquery() for model in VERSIONED]
    row = session.execute(select(*highest, select(func.count(CalendarDay.id)).scalar_subquery())).one()
    region = find_region(session, region_code)
    return (region.id, region.profile, clock.today(), *row)


_lock = threading.Lock()


def whatif_page(sessions: sessionmaker, region_code: str, year: int, page: int, size: int) -> WhatIfPage:
    """A page of the region's what-if, evaluated once per version of its data (per process)."""
    with sessions() as session:
        key = (region_code, year, data_version(session, region_code))
    cache: OrderedDict = sessions.__dict__.setdefault("_whatif_cache", OrderedDict())  # lives with the database's sessions
    with _lock:
        found = cache.get(key)
        if found is not None:
            cache.move_to_end(key)
    if found is None:
        found = _whatif(evaluate_region(sessions, region_code, year))
        # a province's what-if is millions of objects that live as long as the version: left to the cyclic
        # collector, each full collection walks them all (half a second per page at 100,000 institutions).
        # Frozen, they are skipped; reference counting still frees them when the version is dropped.
        gc.freeze()
        with _lock:
            for old in [k for k in cache if k[:2] == key[:2]]:  # the region's year at an older version
                del cache[old]
            cache[key] = found
            while len(cache) > CACHED:
                cache.popitem(last=False)
    results = found.result.evaluation.institutions
    pages = max(1, -(-len(results) // size))
    page = min(max(page, 1), pages)
    return WhatIfPage(found, tuple(results[(page - 1) * size: page * size]), page, pages)


def _whatif(result: RegionEvaluation) -> WhatIf:
    ev = result.evaluation
    return WhatIf(result, {i.code: i for i in result.facts.institutions}, sum(1 for r in ev.institutions if r.eligible),
                  sum(1 for r in ev.institutions if r.total > 0), {f.value: ev.total_for(f) for f in Fund},
                  ev.total_for())
