"""URL parts that only match what the database can hold: a route with an id past the integer
column, or a year outside 2000–2100, is a 404, never a query that overflows."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from ..validation import YEAR_MAX, YEAR_MIN

ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, url_map) -> None:
        super().__init__(url_map, fixed_digits=0, min=1, max=ID_MAX)


class YearConverter(IntegerConverter):
    def __init__(self, url_map) -> None:
        super().__init__(url_map, fixed_digits=4, min=YEAR_MIN, max=YEAR_MAX)


CONVERTERS = {"id": IdConverter, "year": YearConverter}
