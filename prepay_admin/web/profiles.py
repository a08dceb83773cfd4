"""Policy profiles on screen: every stored version (who added it, when, its SHA-256, the campaigns
running on it), one version's parameters and its file to download and revise, two profiles compared
parameter by parameter, and the administrator's upload of a region's own rules (管理员; the service
checks the role, a refusal is a recorded 403, a bad file is listed problem by problem with nothing
stored)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from .. import extensions
from ..policy.departments import Department
from ..policy.parameters import SECTION_CN
from ..profiles import PROFILE_BYTES_MAX
from ..queries.profiles import ProfileRef, compare_profiles, list_profiles, profile_detail
from ..services.errors import ServiceError
from ..services.profiles import add_profile
from .refusals import attempt, carry_out

bp = Blueprint("profiles", __name__, url_prefix="/admin/profiles")


class UploadForm(FlaskForm):
    file = FileField("政策参数方案文件（.toml，UTF-8）", validators=[FileRequired("请选择方案文件")])


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every member of staff reads the rules they work under; only the administrator adds one."""


def _page(status: int = 200, form: UploadForm | None = None, problems: list[str] | None = None):
    return render_template("admin/profiles.html", profiles=list_profiles(extensions.sessions(), current_user.identity.username),
                           form=form or UploadForm(formdata=None), problems=problems or [],
                           administrator=current_user.identity.department == Department.ADMINISTRATOR), status


@bp.get("")
def index():
    return _page()


@bp.post("")
def add():
    form = UploadForm()
    if not form.validate_on_submit():
        return _page(400, form)
    problems: list[str] = []
    ok, added = attempt(lambda: add_profile(extensions.sessions(), form.file.data.read(PROFILE_BYTES_MAX + 1),
                                            current_user.identity.username), problems)
    if not ok:
        return _page(400, form, problems)
    flash(f"{added.name} 第 {added.version} 版已存，内容相同，未重复保存。" if added.replayed
          else f"已新增政策参数方案 {added.name} 第 {added.version} 版（SHA-256 {added.sha256[:12]}…）。")
    return redirect(url_for("profiles.show", name=added.name, version=added.version))


@bp.get("/<name>/<id:version>")
def show(name: str, version: int):
    detail = carry_out(lambda: profile_detail(extensions.sessions(), current_user.identity.username, name, version))
    sections: dict[str, list[tuple[str, str]]] = {}
    for path, value in detail.parameters:
        sections.setdefault(path.split(".")[0], []).append((path, value))
    return render_template("admin/profile.html", d=detail, sections=sections, section_cn=SECTION_CN)


@bp.get("/<name>/<id:version>/file")
def file(name: str, version: int):
    """The file as it was added: staff download it, revise it, raise its version and add it again."""
    detail = carry_out(lambda: profile_detail(extensions.sessions(), current_user.identity.username, name, version))
    filename = f"{detail.summary.name}-v{detail.summary.version}.toml"
    return Response(detail.content.encode("utf-8"), mimetype="application/toml",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


@bp.get("/diff")
def diff():
    """Two profiles (``a``, ``b``: 名称@版本) compared parameter by parameter."""
    profiles = list_profiles(extensions.sessions(), current_user.identity.username)
    refs = [f"{p.name}@{p.version}" for p in profiles]
    left, right = request.args.get("a") or "", request.args.get("b") or ""
    found = None
    if left or right:
        try:
            pair = ProfileRef.parse(left), ProfileRef.parse(right)
        except ServiceError as err:
            abort(400, description=err.message)
        found = carry_out(lambda: compare_profiles(extensions.sessions(), *pair))
    return render_template("admin/profile_diff.html", refs=refs, a=left, b=right, found=found)
