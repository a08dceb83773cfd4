"""``/api/v1``, the register of designated institutions: the searchable list, and one institution
with its standings, conditions, bars, securities, determinations, agreements, payments and history."""
from __future__ import annotations

from flask.views import MethodView

from .. import clock
from ..queries.institutions import institution_list, institution_page
from .auth import call
from .routing import ERRORS, blp, region, sessions
from .schemas.registry import InstitutionDetailOut, InstitutionPageOut, SearchPaging


@blp.route("/regions/<region_code>/institutions")
class Institutions(MethodView):
    @blp.arguments(SearchPaging, location="query")
    @blp.response(200, InstitutionPageOut)
    @blp.doc(responses=ERRORS)
    def get(self, paging, region_code: str):
        """The region's institutions by code; ``q`` narrows to a part of the code or the name."""
        region(region_code)
        found = call(lambda: institution_list(sessions(), region_code, paging["page"], paging["per_page"],
                                              paging["q"]))
        return {"total": found.count, "page": paging["page"], "per_page": paging["per_page"], "items": found.rows}


@blp.route("/regions/<region_code>/institutions/<code>")
class Institution(MethodView):
    @blp.response(200, InstitutionDetailOut)
    @blp.doc(responses=ERRORS)
    def get(self, region_code: str, code: str):
        """Everything about one institution (its sub-ledger: ``/ledger/statements/{code}``)."""
        region(region_code)
        return call(lambda: institution_page(sessions(), region_code, code[:20], clock.today()))
