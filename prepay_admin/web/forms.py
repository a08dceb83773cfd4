"""What the screens' forms and downloads share (issue 29: each was written in two to four modules): the
date, money and text fields, reading a date or an amount back with the error beside its field, the
signed-in member of staff, submitting to a service (the form again with its errors, or a flash and a
redirect), and a file sent for download."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote

from flask import Response, flash
from flask_login import current_user
from marshmallow import ValidationError
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from .. import clock, extensions
from ..exports import XLSX
from ..policy.money import typed_amount
from ..queries.institutions import resolve_institution
from ..services.errors import ServiceError
from ..validation import YEAR_MAX, YEAR_MIN, Money, parse_date
from .refusals import attempt, attempt_on

DATE_MESSAGE = f"日期格式须为 YYYY-MM-DD（{YEAR_MIN}—{YEAR_MAX} 年）"


def confirm_field(what: str, undo: str = "不可撤销") -> BooleanField:
    """A step that cannot be undone asks for a tick first, beside its button (issue 30: fixing the list,
    the year end, closing a period, disabling a user). No script: an unticked form comes back with the
    message beside the box, and nothing is done."""
    return BooleanField(f"我已核对，确认{what}（{undo}）", validators=[DataRequired(f"请先勾选确认{what}（{undo}）")])


def date_field(label: str = "日期") -> StringField:
    """A required date, today by default (Beijing)."""
    return StringField(label, validators=[DataRequired("请填写日期"), Length(max=10)],
                       default=lambda: clock.today().isoformat(), render_kw={"placeholder": "YYYY-MM-DD"})


def text_field(label: str, limit: int, message: str) -> StringField:
    """Required text of at most ``limit`` characters; ``message`` when it is left empty."""
    return StringField(label, validators=[DataRequired(message), Length(max=limit, message=f"不能超过 {limit} 个字符")])


def read_date(field: StringField) -> dt.date | None:
    """The field's date, or None with the reason beside the field."""
    day = parse_date((field.data or "").strip())
    if day is None:
        field.errors.append(DATE_MESSAGE)
    return day


def read_money(field: StringField) -> Decimal | None:
    """The field's amount in yuan as staff type it ("1,000,000.00", full-width digits, "100万":
    ``policy.money.typed_amount``), then the API's rule; or None with the reason beside the field."""
    plain, why = typed_amount(field.data or "")
    if plain is None:
        field.errors.append(why or "金额无效")
        return None
    try:
        return Money().deserialize(plain)
    except ValidationError as err:
        field.errors.append(str(err.messages[0]))
        return None


def username() -> str:
    """The signed-in member of staff, as the services name them."""
    return current_user.identity.username


def send_file(name: str, data: bytes, mimetype: str) -> Response:
    """A download, its Chinese file name kept (RFC 5987)."""
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f"attachment; filename={quote(name)}; filename*=UTF-8''{quote(name)}"})


def send_xlsx(data: bytes, stem: str) -> Response:
    return send_file(f"{stem}.xlsx", data, XLSX)


def submit(action: Callable[[], Any], errors: list[str], done: str, refused: Callable[[], Any],
           then: Callable[[Any], Any]) -> Any:
    """Call a service as the signed-in member of staff: on success flash ``done`` and answer
    ``then(result)`` (a redirect, after a POST); a refusal of who or where is a recorded 403; any other
    refusal is added to ``errors`` (a field's, shown beside it) and ``refused()`` shows the form again."""
    ok, result = attempt(action, errors)
    if not ok:
        return refused()
    flash(done)
    return then(result)


def submit_form(action: Callable[[], Any], form: Any, default: str, done: str, refused: Callable[[], Any],
                then: Callable[[Any], Any]) -> Any:
    """``submit`` for a form: each refusal beside the field the service names (``attempt_on``)."""
    ok, result = attempt_on(action, form, default)
    if not ok:
        return refused()
    flash(done)
    return then(result)


def institution_field(label: str = "机构编码") -> StringField:
    """A field for an institution, typed by its code or by (part of) its name: the screens offer the
    picker's list under it (``static/picker.js``) and resolve a name that fits one (``read_institution``)."""
    return StringField(label, validators=[DataRequired("请填写机构编码或名称"), Length(max=60, message="不能超过 60 个字符")])


def read_institution(field: StringField, region_code: str) -> str | None:
    """The code of the institution the field names (its code, or a name that fits one institution of the
    region), or None with the candidates beside the field."""
    try:
        return resolve_institution(extensions.sessions(), region_code, field.data or "")
    except ServiceError as err:
        field.errors.append(err.message)
        return None
