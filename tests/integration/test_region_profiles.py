"""Issue 14: a region brings its own rules as data. A profile file is validated whole and stored,
versioned, never changed; a campaign keeps the version it was opened with; two versions compare
parameter by parameter; a third region's rules, written only for the test, run the whole year."""
import datetime as dt
import io
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from accounting.chart import Role
from accounting.ledger import get_book
from accounting.models import LedgerAccount
from prepay_admin.models import (
    Campaign,
    Determination,
    DeterminationAdvance,
    FundPositionRecord,
    Institution,
    MonthlyPayout,
    Receivable,
    StoredProfile,
)
from prepay_admin.policy.facts import Fund
from prepay_admin.profiles import load_profile
from prepay_admin.queries import cycle as cycle_views
from prepay_admin.queries.policy import profile_in_force
from prepay_admin.queries.profiles import ProfileRef, compare_profiles, list_profiles
from prepay_admin.services import documents
from prepay_admin.services.campaign import open_campaign
from prepay_admin.services.demo import load_demo
from prepay_admin.services.demo_cycle import ensure_demo_staff
from prepay_admin.services.errors import ProfileRefused, ServiceError
from prepay_admin.services.profiles import add_profile
from tests.console import token_for
from tests.documents_helpers import docx_text
from tests.return_path_helpers import books_sound
from tests.screens import csrf_token, sign_in

LAKESIDE = (Path(__file__).parents[1] / "data/profiles/lakeside-2026.toml").read_bytes()
REGION = "320600"
PACKAGED = {name: load_profile(name).version for name in ("nantong-2025", "hebei-2024")}  # as shipped


def revised(minimum: str = "80000", version: int = 2) -> bytes:
    return (LAKESIDE.decode().replace("version = 1", f"version = {version}")
            .replace('minimum = "50000"', f'minimum = "{minimum}"').encode())


def stored_count(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(StoredProfile))


@pytest.fixture
def staff(sessions):
    ensure_demo_staff(sessions)
    return sessions


def test_14_the_packaged_profiles_are_stored_at_db_upgrade_with_their_hash(sessions):
    found = {(p.name, p.version): p for p in list_profiles(sessions, "guanli1")}
    assert set(found) == {("nantong-2025", PACKAGED["nantong-2025"]), ("hebei-2024", PACKAGED["hebei-2024"])}
    assert all(p.added_by == "packaged" and len(p.sha256) == 64 and p.latest for p in found.values())


def test_14_a_third_regions_rules_run_the_whole_year_with_amounts_worked_out_by_hand(staff):
    sessions = staff
    added = add_profile(sessions, LAKESIDE, "guanli1")
    assert (added.name, added.version, added.replayed) == ("lakeside-2026", 1, False)
    steps = []
    load_demo(sessions, institutions=40, seed=2026, year=2026, profile="lakeside-2026", years=2,
              check=lambda step: (steps.append(step), books_sound(sessions)))
    assert len(steps) > 20
    with sessions() as s:
        campaign = s.scalar(select(Campaign).where(Campaign.year == 2026))
        assert (campaign.profile, campaign.profile_version, campaign.profile_sha256) == (
            "lakeside-2026", 1, added.sha256)
        rows = s.execute(
            select(Institution.id, Institution.code, DeterminationAdvance.fund, DeterminationAdvance.amount,
                   DeterminationAdvance.final_amount)
            .join(Determination, Determination.institution_id == Institution.id)
            .join(DeterminationAdvance, DeterminationAdvance.determination_id == Determination.id)
            .where(Determination.campaign_id == campaign.id, Determination.run == campaign.determination_run,
                   Determination.eligible)).all()
        advanced = 0
        for inst_id, code, fund, amount, final in rows:
            # by hand: 2025's local payouts ÷ 12, to fen; × 1 month × 100%; half up to ¥1,000; nothing under ¥50,000
            local = sum((a - o for a, o in s.execute(
                select(MonthlyPayout.amount, MonthlyPayout.out_of_region).where(
                    MonthlyPayout.institution_id == inst_id, MonthlyPayout.fund == fund,
                    MonthlyPayout.month >= dt.date(2025, 1, 1), MonthlyPayout.month < dt.date(2026, 1, 1)))), D(0))
            base = (local / 12).quantize(D("0.01"), ROUND_HALF_UP)
            rounded = (base / 1000).quantize(D(1), ROUND_HALF_UP) * 1000
            expected = rounded if rounded >= 50000 else D(0)
            assert amount == expected, (code, fund, base)
            assert final in (None, expected)  # no security, so no cap
            advanced += expected > 0
        assert advanced >= 10
        # no security is asked for and none caps an advance; the books carry the region's own account codes
        assert s.scalar(select(func.count()).select_from(DeterminationAdvance).where(
            DeterminationAdvance.final_cap.is_not(None))) == 0
        assert s.scalar(select(func.count()).select_from(Determination).where(
            Determination.notes_json.contains("security_pending"))) == 0
        book = get_book(s, REGION, Fund.EMPLOYEE)
        assert s.scalar(select(LedgerAccount.code).where(LedgerAccount.book_id == book.id,
                                                         LedgerAccount.role == Role.ADVANCE)) == "1221"
        # annual recovery: the 2025 advances were all owed back at the year end
        assert s.scalar(select(func.count()).select_from(Receivable).where(Receivable.route == "annual_recovery")) > 0


def test_14_a_campaign_keeps_version_1_after_version_2_is_added_and_diff_shows_the_change(staff):
    sessions = staff
    first = add_profile(sessions, LAKESIDE, "guanli1")
    load_demo(sessions, institutions=12, seed=2026, year=2026, profile="lakeside-2026", play=False)
    with sessions.begin() as s:  # the funds' figures of the years to come, as the finance department imports them
        for row in s.scalars(select(FundPositionRecord).where(FundPositionRecord.year == 2026)).all():
            for year in (2027, 2028):
                s.add(FundPositionRecord(region_id=row.region_id, year=year, fund=row.fund,
                                         cumulative_surplus=row.cumulative_surplus,
                                         monthly_expenditure=row.monthly_expenditure,
                                         last_year_current_balance=row.last_year_current_balance,
                                         projected_current_balance=row.projected_current_balance))
    opened = open_campaign(sessions, REGION, 2026, "caiwu1")
    assert (opened.profile_version, opened.profile_sha256) == (1, first.sha256)
    second = add_profile(sessions, revised(), "guanli1")
    assert (second.version, second.replayed) == (2, False)
    kept = profile_in_force(sessions, REGION, 2026)
    assert (kept.version, kept.opened, kept.profile.amount.minimum) == (1, True, D("50000"))
    coming = profile_in_force(sessions, REGION, 2027)
    assert (coming.version, coming.opened, coming.profile.amount.minimum) == (2, False, D("80000"))
    diff = compare_profiles(sessions, ProfileRef("lakeside-2026", 1), ProfileRef("lakeside-2026", 2))
    assert [(d.path, d.left, d.right) for d in diff.differences] == [
        ("version", "1", "2"), ("amount.minimum", "50000", "80000")]
    # staff may still open a year on the earlier version, and the year's status says which it runs on
    opened = open_campaign(sessions, REGION, 2027, "caiwu1", profile_version=1)
    assert opened.profile_version == 1
    assert (cycle_views.status(sessions, REGION, 2027).profile_version,
            cycle_views.status(sessions, REGION, 2026).profile_sha256) == (1, first.sha256)
    with pytest.raises(ServiceError) as err:
        open_campaign(sessions, REGION, 2028, "caiwu1", profile_version=7)
    assert err.value.field == "profile_version" and "第 7 版" in err.value.message


def test_14_a_malformed_profile_is_refused_whole_and_nothing_is_stored(staff):
    sessions = staff
    before = stored_count(sessions)
    bad = (LAKESIDE.decode().replace('rounding_unit = "1000"', "rounding_unit = 1000.0")
           .replace("bar_years = 2", "bar_years = 2\nsurprise = true")
           .replace("confirmed_and_paid_by = { month = 2, day = 28 }", "confirmed_and_paid_by = { month = 13, day = 28 }"))
    bad = bad[:bad.index("[accounts]")] + bad[bad.index("[articles]"):]
    with pytest.raises(ProfileRefused) as err:
        add_profile(sessions, bad.encode(), "guanli1")
    paths = [p for p, _ in err.value.problems]
    assert set(paths) == {"amount.rounding_unit", "eligibility.surprise", "calendar.confirmed_and_paid_by.month",
                          "accounts"}
    for raw, message in ((b"\xff\xfe not utf-8", "UTF-8"), (b"x" * 300_000, "文件过大"), (b'name = "a"\n[[', "TOML")):
        with pytest.raises(ProfileRefused) as err:
            add_profile(sessions, raw, "guanli1")
        assert message in err.value.message
    assert stored_count(sessions) == before


def test_14_a_stored_version_is_never_changed_only_superseded(staff):
    sessions = staff
    add_profile(sessions, LAKESIDE, "guanli1")
    again = add_profile(sessions, LAKESIDE, "guanli1")  # a retried upload
    assert again.replayed and stored_count(sessions) == 3
    with pytest.raises(ProfileRefused) as err:
        add_profile(sessions, revised(version=1), "guanli1")
    assert "已存版本不能修改" in err.value.message
    add_profile(sessions, revised(version=3), "guanli1")
    with pytest.raises(ProfileRefused) as err:
        add_profile(sessions, revised(minimum="60000", version=2), "guanli1")
    assert "须大于 3" in err.value.message
    # past the service, the database itself refuses to change or remove a stored version
    with sessions() as s:
        for statement in ("UPDATE policy_profile SET content = 'x'", "DELETE FROM policy_profile"):
            with pytest.raises(DBAPIError) as refused:
                s.execute(text(statement))
            assert "已存版本不能修改" in str(refused.value)
            s.rollback()


def test_24_only_the_administrator_adds_a_profile(staff):
    with pytest.raises(ServiceError) as err:
        add_profile(staff, LAKESIDE, "jiesuan1")
    assert err.value.field == "user"
    assert stored_count(staff) == 2


# -- the same on the console, the screens and the API ---------------------------------------------------

def test_14_policy_add_show_list_and_diff_on_the_console(app, cli_runner, monkeypatch, tmp_path):
    ensure_demo_staff(app.extensions["prepay_sessions"])
    monkeypatch.setenv("PREPAY_TOKEN", token_for(app, "guanli1"))
    good, bad = tmp_path / "lakeside-2026.toml", tmp_path / "broken.toml"
    good.write_bytes(LAKESIDE)
    bad.write_bytes(LAKESIDE.replace(b'minimum = "50000"', b"minimum = 50000.0").replace(
        b"agreement_years = 1", b"agreement_years = 1\nextra = 1"))
    refused = cli_runner.invoke(args=["policy", "add", str(bad)])
    assert refused.exit_code == 2
    assert refused.output.splitlines() == ["--profile: 共 2 处错误，未作保存：",
                                           "  amount.minimum: 须为字符串形式的数字（如 \"1234.56\"），不接受 浮点数 50000.0",
                                           "  calendar.extra: 未知字段"]
    added = cli_runner.invoke(args=["policy", "add", str(good)])
    assert added.exit_code == 0 and added.output.startswith("已新增政策参数方案 lakeside-2026 第 1 版"), added.output
    assert "未重复保存" in cli_runner.invoke(args=["policy", "add", str(good)]).output
    listed = cli_runner.invoke(args=["policy", "list"]).output
    assert "lakeside-2026\t第 1 版（最新）\t湖滨市" in listed and f"nantong-2025\t第 {PACKAGED['nantong-2025']} 版（最新）" in listed
    shown = cli_runner.invoke(args=["policy", "show", "lakeside-2026", "--version", "1"]).output
    assert "amount.minimum = 50000" in shown.splitlines() and "accounts.advance = 1221 暂付款—医保预付金" in shown
    assert cli_runner.invoke(args=["policy", "show", "lakeside-2026", "--format", "toml"]).output.encode() == LAKESIDE
    draft = tmp_path / "draft.toml"
    draft.write_bytes(revised())
    compared = cli_runner.invoke(args=["policy", "diff", "lakeside-2026@1", str(draft)])
    assert compared.exit_code == 0
    assert compared.output.splitlines()[0] == "lakeside-2026 第 1 版 与 draft.toml：2 项参数不同"
    assert any(line.split() == ["amount.minimum", "50000", "→", "80000"] for line in compared.output.splitlines())
    for args, message in ((["policy", "show", "lakeside-2026", "--version", "９"], "--version: "),
                          (["policy", "show", "beijing-2030"], "--profile: 没有名为 beijing-2030 的政策参数方案"),
                          (["policy", "diff", "lakeside-2026@x", "nantong-2025"], "--profile: “lakeside-2026@x”不是有效的方案")):
        result = cli_runner.invoke(args=args)
        assert result.exit_code == 2 and result.output.startswith(message), (args, result.output)


def test_14_compute_tries_a_draft_profile_file_on_the_regions_data_without_storing_it(app, cli_runner, tmp_path):
    sessions = app.extensions["prepay_sessions"]
    draft = tmp_path / "lakeside-draft.toml"
    draft.write_bytes(LAKESIDE)
    whatif = Path(__file__).parents[1] / "data/whatif.json"
    result = cli_runner.invoke(args=["compute", "--input", str(whatif), "--profile", str(draft)])
    assert result.exit_code == 0, result.output
    assert '"profile": "lakeside-2026"' in result.output
    assert stored_count(sessions) == 2


def test_14_the_administrator_adds_a_profile_on_screen_and_everyone_reads_and_compares(client, app):
    ensure_demo_staff(app.extensions["prepay_sessions"])
    sign_in(client, "guanli1")
    page = client.get("/admin/profiles")
    assert page.status_code == 200 and "校验并新增" in page.get_data(as_text=True)

    def upload(data: bytes):
        return client.post("/admin/profiles", data={"csrf_token": csrf_token(client, "/admin/profiles"),
                                                    "file": (io.BytesIO(data), "lakeside.toml")})

    bad = upload(LAKESIDE.replace(b"month = 2, day = 28", b"month = 2, day = 30"))
    body = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "未保存，共 1 处错误" in body and "calendar.confirmed_and_paid_by" in body
    done = upload(LAKESIDE)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/profiles/lakeside-2026/1")
    shown = client.get("/admin/profiles/lakeside-2026/1").get_data(as_text=True)
    assert "湖滨市定点医疗机构医保基金预付管理办法" in shown and "amount.rounding_unit" in shown
    assert client.get("/admin/profiles/lakeside-2026/1/file").data == LAKESIDE
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "shenji1")  # the auditor reads and compares, and is offered no upload
    listing = client.get("/admin/profiles").get_data(as_text=True)
    assert "lakeside-2026" in listing and "校验并新增" not in listing
    compared = client.get(f"/admin/profiles/diff?a=nantong-2025@{PACKAGED['nantong-2025']}&b=lakeside-2026@1").get_data(as_text=True)
    assert "项参数不同" in compared and "year_end.mode" in compared
    assert client.get("/admin/profiles/diff?a=nantong-2025@x&b=x").status_code == 400
    assert client.get("/admin/profiles/nowhere/1").status_code == 404


def test_14_the_api_lists_adds_shows_and_compares_profiles(client, app):
    ensure_demo_staff(app.extensions["prepay_sessions"])
    admin = {"Authorization": f"Bearer {token_for(app, 'guanli1')}"}
    reader = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}

    def post(data: bytes, key: str):
        return client.post("/api/v1/profiles", headers={**admin, "Idempotency-Key": key},
                           data={"file": (io.BytesIO(data), "lakeside.toml")})

    bad = post(LAKESIDE.replace(b'ratio_by_grade = { A = "1"', b'ratio_by_grade = { A = 1'), "p-0")
    assert bad.status_code == 422 and list(bad.json["errors"]) == ["amount.ratio_by_grade.A.value"], bad.json
    first = post(LAKESIDE, "p-1")
    assert first.status_code == 201 and first.json["version"] == 1 and not first.json["replayed"]
    assert post(LAKESIDE, "p-1").json == first.json  # the same request retried
    again = post(LAKESIDE, "p-2")  # the same file under another key
    assert again.status_code == 200 and again.json["replayed"]
    listed = client.get("/api/v1/profiles", headers=reader).json
    assert {(p["name"], p["version"]) for p in listed} == {*PACKAGED.items(), ("lakeside-2026", 1)}
    one = client.get("/api/v1/profiles/lakeside-2026/1", headers=reader).json
    assert {"path": "amount.minimum", "value": "50000"} in one["parameters"] and one["content"].encode() == LAKESIDE
    compared = client.get(f"/api/v1/profiles/comparison?a=hebei-2024@{PACKAGED['hebei-2024']}&b=lakeside-2026", headers=reader).json
    assert {"path": "amount.rounding_unit", "a": "10000", "b": "1000"} in compared["differences"]
    assert client.get("/api/v1/profiles/lakeside-2026/9", headers=reader).status_code == 404


def test_14_a_third_regions_year_shows_on_every_screen_and_in_its_documents(client, app):
    sessions = app.extensions["prepay_sessions"]
    ensure_demo_staff(sessions)
    add_profile(sessions, LAKESIDE, "guanli1")
    load_demo(sessions, institutions=20, seed=2026, year=2026, profile="lakeside-2026", years=2)
    with sessions() as s:
        signed = s.scalars(select(Institution.code).join(Determination, Determination.institution_id == Institution.id)
                           .join(Campaign, Campaign.id == Determination.campaign_id)
                           .where(Campaign.year == 2026, Determination.state == "paid").order_by(Institution.code)).first()
        owing = s.scalar(select(Receivable.id).order_by(Receivable.id))
    issued = [documents.issue(sessions, "agreement", REGION, "jiesuan1", year=2026, institution=signed),
              documents.issue(sessions, "determination_notice", REGION, "jiesuan1", year=2026, institution=signed),
              documents.issue(sessions, "public_list", REGION, "jiesuan1", year=2026),
              documents.issue(sessions, "demand", REGION, "caiwu1", receivable_id=owing),
              documents.issue(sessions, "statement", REGION, "caiwu1", institution=signed, fund=Fund.EMPLOYEE)]
    assert all(d.sha256 and d.data for d in issued)
    notice = docx_text(issued[1].data)
    # the notice states the region's own method and heading, not the reference region's
    assert "预付月数：各机构 1 个月" in notice and "各等级均为 100%" in notice and "取整到千元" in notice
    assert "不足 50,000 元的不实行预付" in notice and "取整到万元" not in notice
    sign_in(client, "jiesuan1")
    for path in ("/?region=320600&year=2026", "/cycle/320600/2026", "/determinations/320600/2026",
                 "/whatif/320600/2027", f"/institutions/320600/{signed}", "/ledger/320600", "/recovery/320600",
                 "/admin/policy/320600/2026", "/admin/profiles/lakeside-2026/1"):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    assert "湖滨市定点医疗机构医保基金预付管理办法" in client.get("/admin/policy/320600/2026").get_data(as_text=True)
    assert "1221" in client.get("/ledger/320600").get_data(as_text=True)
