"""DEPOSIT.md rule 5 (XJ 24) and the notices: the bureau finds, before the hospital does, what obliges it to
recompute its deposits within 30 days — a payment standard moved by more than 10% (every hospital with
cases in the group, published or not), the actual burden below 80% of the deposit for 3 whole months — and
carries its findings to the hospital in a notice through the document register, which marks them 已通知."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from prepay_admin.models import DepositFinding, IssuedDocument
from prepay_admin.services import documents
from prepay_admin.services.demo import load_demo
from prepay_admin.services.deposit import check_tables, compute_reference
from prepay_admin.services.document_register import verify
from prepay_admin.services.errors import ServiceError
from prepay_admin.services.imports import import_file
from tests.integration.test_discharges_intake import _month_of_settlements, _published, csv, imported, row

REGION = "320600"
H1, H2 = "H32060000001", "H32060000002"
STANDARDS = "病组编码,参保类别,年度,支付标准"


@pytest.fixture
def region(sessions):
    load_demo(sessions, institutions=4, seed=1, year=2026, play=False)
    assert imported(sessions, _month_of_settlements()).error_count == 0  # H1, GB19: 25 local employee stays
    return sessions


def standards(sessions, *lines):
    return import_file(sessions, "jiesuan1", REGION, "payment-standards", "支付标准.csv",
                       io.BytesIO(("\n".join((STANDARDS, *lines)) + "\n").encode()))


def findings(sessions, kind=None):
    with sessions() as s:
        rows = s.scalars(select(DepositFinding).order_by(DepositFinding.id)).all()
        return [r for r in rows if kind is None or r.kind == kind]


def test_payment_standards_are_imported_whole_and_the_same_file_twice_changes_nothing(region):
    bad = standards(region, "GB19,职工医保,2026,0.00", "GB19,自费,2026,100.00")
    assert not bad.applied and {e.column for e in bad.errors} == {"支付标准", "参保类别"}
    good = ("GB19,职工医保,2025,20000.00", "GB19,职工医保,2026,22000.01")
    assert standards(region, *good).added == 2
    again = standards(region, *good)
    assert again.added == again.changed == 0 and again.seen_before


def test_xj24_a_standard_moved_by_more_than_10_percent_obliges_every_hospital_with_cases_to_recompute(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    standards(region, "GB19,职工医保,2025,20000.00", "GB19,职工医保,2026,22000.00",  # exactly 10%: not moved
              "GB19,居民医保,2025,20000.00", "GB19,居民医保,2026,17999.99")  # a fen more than 10% down
    done = check_tables(region, REGION, 2026, dt.date(2026, 2, 1), "jiesuan1")
    moved = findings(region, "standard_changed")
    # H1 has resident cases (3, a small cell: it still has them) and no published table: told all the same
    assert [(f.group_code, f.insurance_class) for f in moved] == [("GB19", "resident")] and done.new == 1
    assert moved[0].due_on == dt.date(2026, 3, 3) and not moved[0].breach  # 30 days from the finding
    assert "-10.00%" in moved[0].message
    # found again the next week: the same finding, its deadline unmoved
    check_tables(region, REGION, 2026, dt.date(2026, 2, 8), "jiesuan1")
    assert [(f.id, f.due_on, f.last_seen_on) for f in findings(region, "standard_changed")] == [
        (moved[0].id, dt.date(2026, 3, 3), dt.date(2026, 2, 8))]
    # a line published before the new standard is no recomputation; one effective since is
    _published(region, f"{H1},GB19,居民医保,2000.00,,2025-12-01,")
    check_tables(region, REGION, 2026, dt.date(2026, 2, 9), "jiesuan1")
    assert findings(region, "standard_changed")[0].status == "new"
    _published(region, f"{H1},GB19,居民医保,1800.00,按新支付标准重新测算,2026-02-10,")
    again = check_tables(region, REGION, 2026, dt.date(2026, 2, 11), "jiesuan1")
    assert findings(region, "standard_changed")[0].status == "rectified" and again.rectified == 1


def _months_below(deposit_group="GB20"):
    """H2, group GB20, employees: January–March 2026, 3 stays a month bearing 1,000 each (below 80% of a
    2,000 deposit), and April with 2 stays only."""
    rows = []
    for month, stays in ((1, 3), (2, 3), (3, 3), (4, 2)):
        for n in range(stays):
            rows.append(row(sid=f"B{month}{n}", visit=f"VB{month}{n}", code=H2, group=deposit_group,
                            total="5000.00", fund="4000.00", burden="1000.00", copay="800.00", self_pay="200.00",
                            account="0.00", cash="1000.00", admitted=f"2026-{month:02d}-01",
                            discharged=f"2026-{month:02d}-08"))
    return csv(*rows)


def test_xj24_three_whole_months_below_80_percent_of_the_deposit_oblige_a_recompute(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    assert imported(region, _months_below()).error_count == 0
    _published(region, f"{H2},GB20,职工医保,2000.00,,2025-12-15,")
    # at the end of February two whole months only: nothing yet
    check_tables(region, REGION, 2026, dt.date(2026, 3, 1), "jiesuan1")
    assert findings(region, "below_deposit") == []
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")
    below = findings(region, "below_deposit")
    assert len(below) == 1 and below[0].published == D("2000.00") and below[0].reference == D("1000.00")
    # 30 days from 1 April end on 1 May, Labour Day: the period ends on the next working day (民法典 203)
    assert "2026-01 至 2026-03 连续 3 个月" in below[0].message and below[0].due_on == dt.date(2026, 5, 6)
    # months later the streak has left the months watched: still owed a recomputation, never closed by time
    check_tables(region, REGION, 2026, dt.date(2027, 2, 1), "jiesuan1")
    assert findings(region, "below_deposit")[0].status == "new"
    # the hospital lowers its deposit from April: no whole month under it yet, so the trigger is rectified
    _published(region, f"{H2},GB20,职工医保,1200.00,重新测算,2026-04-02,")
    check_tables(region, REGION, 2026, dt.date(2026, 5, 1), "jiesuan1")
    assert findings(region, "below_deposit")[0].status == "rectified"


def test_xj24_gz12_notices_carry_the_open_findings_with_their_run_and_mark_them_notified(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    assert imported(region, _months_below()).error_count == 0
    _published(region, f"{H1},GB19,职工医保,3500.00,,2026-01-01,", f"{H2},GB20,职工医保,2000.00,,2025-12-15,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")
    with pytest.raises(ServiceError) as err:  # H1 has nothing to recompute
        documents.issue(region, "deposit_recompute", REGION, "jiesuan1", year=2026, institution=H1)
    assert "没有未办结的重新测算事项" in err.value.message
    with pytest.raises(ServiceError):  # the notices are 基金结算's
        documents.issue(region, "deposit_rectification", REGION, "caiwu1", year=2026, institution=H1)
    notice = documents.issue(region, "deposit_rectification", REGION, "jiesuan1", year=2026, institution=H1)
    recompute = documents.issue(region, "deposit_recompute", REGION, "jiesuan1", year=2026, institution=H2)
    from docx import Document
    text = "\n".join(p.text for p in Document(io.BytesIO(notice.data)).paragraphs)
    cells = "\n".join(c.text for t in Document(io.BytesIO(notice.data)).tables for r in t.rows for c in r.cells)
    assert "整改提示函" in text and "3,500.00" in cells and "3,000.00" in cells and cells.endswith("\n25")
    with region() as s:
        run_sha = s.scalar(select(IssuedDocument.source_json).where(IssuedDocument.id == notice.id))
    assert '"run_id"' in run_sha
    assert "2026年5月6日" in "\n".join(p.text for p in Document(io.BytesIO(recompute.data)).paragraphs)
    states = {(f.institution_id, f.kind): (f.status, f.notice_id) for f in findings(region)}
    assert {s for s, _ in states.values()} == {"notified"}
    assert {n for (_, k), (_, n) in states.items() if k == "below_deposit"} == {recompute.id}
    # a notified finding found again stays notified; verified as the bureau's own
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")
    assert {f.status for f in findings(region)} == {"notified"}
    assert verify(region, notice.data).id == notice.id


def _checked(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    assert imported(region, _months_below()).error_count == 0
    _published(region, f"{H1},GB19,职工医保,3500.00,,2026-01-01,", f"{H2},GB20,职工医保,2000.00,,2025-12-15,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")


def test_item7_the_dashboard_and_a_hospitals_page_and_its_notice_on_screen(region, app, client):
    from tests.screens import csrf_token, sign_in

    _checked(region)
    sign_in(client, "shenji1")  # the auditor reads, and is offered no notice to issue
    page = client.get(f"/deposit/{REGION}/2026/overview").get_data(as_text=True)
    assert "住院预交金监测" in page and "须重新测算的医院" in page and H2 in page
    assert "超出 50% 以上" in page or "超出 20%—50%" in page or "超出 0—20%" in page
    mine = client.get(f"/deposit/{REGION}/2026/hospitals/{H1}").get_data(as_text=True)
    assert "高于参考额度" in mine and "3,500.00" in mine and "由基金结算部门办理" in mine
    assert "常见病种（2025 年" in mine and "135,000.00" in mine and "已公示" in mine  # rule 3: its one group
    assert "已覆盖按费用的全部常见病种，符合要求" in mine
    assert client.get(f"/deposit/{REGION}/2026/hospitals/H99999999999").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/password")})
    sign_in(client, "jiesuan1")
    from prepay_admin import clock
    from prepay_admin.queries.todo import todo_list
    waiting = {t.key: t for t in todo_list(region, REGION, dt.date(2026, 4, 1)).items}
    assert waiting["deposit_rectify"].count == 1 and waiting["deposit_recompute"].due == dt.date(2026, 5, 6)
    assert "deposit_reference" not in waiting or clock.today().year != 2026
    issued = client.post(f"/deposit/{REGION}/2026/hospitals/{H1}/notices/rectification",
                         data={"csrf_token": csrf_token(client, "/password")})
    assert issued.status_code == 302
    after = client.get(issued.headers["Location"]).get_data(as_text=True)
    assert "已出具住院预交金整改提示函" in after and "已通知" in after and "住院预交金整改提示函</a>" in after
    assert "deposit_rectify" not in {t.key for t in todo_list(region, REGION, dt.date(2026, 4, 1)).items}
    assert "住院预交金：须在期限内重新测算的医院" in client.get("/").get_data(as_text=True)
    again = client.post(f"/deposit/{REGION}/2026/hospitals/{H1}/notices/recompute",
                        data={"csrf_token": csrf_token(client, "/password")})
    assert again.status_code == 400 and "没有未办结的重新测算事项" in again.get_data(as_text=True)


def test_item7_the_dashboard_and_notices_from_the_terminal_and_through_the_api(region, app, client, cli_runner, tmp_path):
    from tests.console import as_user, token_for

    _checked(region)
    shown = cli_runner.invoke(args=["deposit", "overview", "--region", REGION, "--year", "2026", "--date", "2026-04-01"],
                              env=as_user(app, "shenji1"))
    # H2's settlements came after the run: of the 1 hospital with cases, 1 publishes (H2's table counts with its cells)
    assert shown.exit_code == 0 and "有住院病例的医院 1 家，已公示 1 家" in shown.output and "2026-05-06" in shown.output, \
        shown.output
    refused = cli_runner.invoke(args=["deposit", "notices", "--region", REGION, "--year", "2026", "--kind",
                                      "recompute", "--out", str(tmp_path)], env=as_user(app, "shenji1"))
    assert refused.exit_code != 0 and not list(tmp_path.iterdir())
    done = cli_runner.invoke(args=["deposit", "notices", "--region", REGION, "--year", "2026", "--kind", "recompute",
                                   "--out", str(tmp_path)], env=as_user(app, "jiesuan1"))
    assert done.exit_code == 0 and len(list(tmp_path.iterdir())) == 1, done.output
    none_left = cli_runner.invoke(args=["deposit", "notices", "--region", REGION, "--year", "2026", "--kind",
                                        "recompute", "--out", str(tmp_path)], env=as_user(app, "jiesuan1"))
    assert "没有新发问题尚未通知的医院" in none_left.output
    auditor = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    o = client.get(f"/api/v1/regions/{REGION}/deposit-overview/2026?on=2026-04-01", headers=auditor).json
    assert o["publishing"] == 1 and o["hospitals"] == 1 and o["triggers"][0]["due_on"] == "2026-05-06"
    assert o["triggers"][0]["finding"]["status"] == "notified"
    h = client.get(f"/api/v1/regions/{REGION}/deposit-hospitals/2026/{H1}?on=2026-04-01", headers=auditor).json
    assert h["lines"][0]["amount"] == "3500.00" and h["lines"][0]["above"] and h["open_rectify"] >= 1
    # rule 3 (GZ 18): 2025's admissions of GB19, 异地 included, the wholly refunded one not; its only group
    assert h["common"] == [{"group_code": "GB19", "cost": "135000.00", "admissions": 14, "by_cost": True,
                            "by_admissions": True, "published": True, "cumulative_cost_share": "1.0000",
                            "cumulative_admission_share": "1.0000"}] and h["common_share"] == "0.5"
    clerk = {"Authorization": f"Bearer {token_for(app, 'jiesuan1')}", "Idempotency-Key": "n1"}
    made = client.post(f"/api/v1/regions/{REGION}/documents", headers=clerk,
                       json={"kind": "deposit_rectification", "year": 2026, "institution_code": H1})
    assert made.status_code == 201, made.json
    h = client.get(f"/api/v1/regions/{REGION}/deposit-hospitals/2026/{H1}", headers=auditor).json
    assert h["notices"][0]["id"] == made.json["id"] and h["open_rectify"] >= 1
    assert {f["status"] for f in h["findings"] if f["kind"] == "above_reference"} == {"notified"}


def test_item8_the_advance_holders_with_an_old_breach_are_listed_with_what_they_hold(sessions, app, client):
    """The demo's bureau has watched since the autumn (a check 90 days ago, one today): institutions holding an
    advance with a breach open for more than the profile's 60 days are listed with what they hold — what
    ``services.positions`` says they hold — and each one's page sets its deposits beside its advance."""
    from prepay_admin import clock
    from prepay_admin.models import Institution, Region
    from prepay_admin.queries.deposit import overview
    from prepay_admin.services.positions import held_by_institution
    from tests.screens import sign_in

    load_demo(sessions, institutions=30, seed=2026, year=2026, discharges=True)
    today = clock.today()
    o = overview(sessions, REGION, 2026, today)
    with sessions() as s:
        region_id = s.scalar(select(Region.id).where(Region.code == REGION))
        held = held_by_institution(s, region_id)
        codes = dict(s.execute(select(Institution.id, Institution.code).where(Institution.region_id == region_id)).all())
        old = {codes[f.institution_id] for f in s.scalars(select(DepositFinding).where(
            DepositFinding.breach.is_(True), DepositFinding.status.in_(("new", "notified")),
            DepositFinding.found_on <= today - dt.timedelta(days=60)))}
    holding = {codes[i]: sum(v for (j, _), v in held.items() if j == i) for i in codes}
    expected = {c for c in old if holding[c] > 0}
    assert expected and {h.code for h in o.red_holders} == expected and o.red_days == 60
    assert all(h.held == holding[h.code] for h in o.red_holders) and o.red_held == sum(holding[c] for c in expected)
    shown = next(iter(expected), None) or next(c for c, v in holding.items() if v > 0)
    sign_in(client, "jihe1")
    page = client.get(f"/institutions/{REGION}/{shown}").get_data(as_text=True)
    assert "预付金与患者住院预交金" in page and "现持有预付金" in page and "公示额度不高于参考额度" in page


def test_a_finding_cleared_with_its_reason_is_not_raised_again_until_what_it_rested_on_changes(region, app, client,
                                                                                              cli_runner):
    from prepay_admin.models import Transition
    from prepay_admin.services.deposit import clear_finding
    from tests.console import as_user, token_for
    from tests.screens import csrf_token, sign_in

    _checked(region)
    above = findings(region, "above_reference")[0]
    with pytest.raises(ServiceError) as err:
        clear_finding(region, REGION, above.id, "  ", "jiesuan1")
    assert err.value.field == "note"
    sign_in(client, "jiesuan1")
    cleared = client.post(f"/deposit/{REGION}/2026/hospitals/{H1}/findings/{above.id}/clearance",
                          data={"csrf_token": csrf_token(client, "/password"), "note": "参考额度受个别极端病例影响"})
    assert cleared.status_code == 302
    page = client.get(cleared.headers["Location"]).get_data(as_text=True)
    assert "已核销" in page and "参考额度受个别极端病例影响（jiesuan1）" in page
    with region() as s:
        moves = s.scalars(select(Transition.action).where(Transition.machine == "deposit_finding",
                                                          Transition.object_id == above.id)).all()
    assert moves == ["clear"]
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")  # the same run, the same 3,500
    assert [f.status for f in findings(region, "above_reference")] == ["cleared"]
    again = cli_runner.invoke(args=["deposit", "clear", "--region", REGION, "--finding", str(above.id), "--reason",
                                    "再次"], env=as_user(app, "jiesuan1"))
    assert again.exit_code == 2 and "已核销，不能核销" in again.output
    refused = client.post(f"/api/v1/regions/{REGION}/deposit-findings/{above.id}/clearance", json={"note": "x"},
                          headers={"Authorization": f"Bearer {token_for(app, 'caiwu1')}", "Idempotency-Key": "k"})
    assert refused.status_code == 403
    _published(region, f"{H1},GB19,职工医保,3600.00,,2026-04-03,")  # the hospital raises it: raised again
    check_tables(region, REGION, 2026, dt.date(2026, 4, 4), "jiesuan1")
    assert [f.status for f in findings(region, "above_reference")] == ["cleared", "new"]


def test_xj24_verified_complaints_above_5_percent_oblige_a_recompute_met_by_the_whole_table_again(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    # H2 in March: 40 admissions, 10 of them insured elsewhere (异地 patients complain too: all count)
    march = [row(sid=f"C{n}", visit=f"VC{n}", code=H2, group="GB21", area="110100" if n < 10 else "320600",
                 admitted="2026-03-01", discharged="2026-03-10") for n in range(40)]
    assert imported(region, csv(*march)).error_count == 0
    _published(region, f"{H2},GB21,职工医保,2000.00,,2025-12-15,", f"{H2},GB22,职工医保,1000.00,,2025-12-15,")
    header = "机构编码,月份,核实成立的投诉件数"
    bad = import_file(region, "jiesuan1", REGION, "complaints", "投诉.csv",
                      io.BytesIO(f"{header}\n{H2},2026-13,1\n{H2},2026-03,-1\n".encode()))
    assert not bad.applied and {e.column for e in bad.errors} == {"月份", "核实成立的投诉件数"}

    def complaints(n):
        return import_file(region, "jiesuan1", REGION, "complaints", "投诉.csv",
                           io.BytesIO(f"{header}\n{H2},2026-03,{n}\n".encode()), correct=True, reason="核实")

    assert complaints(2).added == 1  # 2 of 40 is 5% exactly: not above it
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")
    assert findings(region, "complaints") == []
    assert complaints(3).changed == 1  # 3 of 40: 7.5%
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")
    (found,) = findings(region, "complaints")
    assert found.group_code == "全部病组" and "7.50%" in found.message and found.due_on == dt.date(2026, 5, 6)  # 2 May: a holiday
    # one line recomputed is not the table recomputed; the whole table is
    _published(region, f"{H2},GB21,职工医保,1800.00,重新测算,2026-04-10,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 11), "jiesuan1")
    assert findings(region, "complaints")[0].status == "new"
    _published(region, f"{H2},GB22,职工医保,900.00,重新测算,2026-04-12,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 13), "jiesuan1")
    assert findings(region, "complaints")[0].status == "rectified"


def test_gz13_a_deposit_far_above_its_peers_is_a_signal(region):
    from prepay_admin.models import Institution

    compute_reference(region, REGION, 2026, "jiesuan1")
    with region() as s:
        peers = s.execute(select(Institution.code, Institution.level, Institution.kind)
                          .where(Institution.kind == "hospital").order_by(Institution.code)).all()
    by_level: dict = {}
    for code, level, kind in peers:
        by_level.setdefault((level, kind), []).append(code)
    group = max(by_level.values(), key=len)
    if len(group) < 4:  # the 4-institution demo may not have four of a level: add the peers' tables anyway
        pytest.skip("the demo region has fewer than four hospitals of one level")
    lines = [f"{c},GB30,职工医保,2000.00,,2026-01-01," for c in group[:3]] + [f"{group[3]},GB30,职工医保,3000.01,,2026-01-01,"]
    assert _published(region, *lines).error_count == 0
    check_tables(region, REGION, 2026, dt.date(2026, 2, 1), "jiesuan1")
    (found,) = findings(region, "peer_outlier")
    assert found.published == D("3000.01") and found.reference == D("2000.00") and not found.breach


def test_gz19_bills_settled_within_3_working_days_of_discharge_on_the_calendar(region, app, client):
    from prepay_admin.models import DepositBilling
    from tests.screens import sign_in

    compute_reference(region, REGION, 2026, "jiesuan1")

    def settled(sid, discharged, at):
        return row(sid=sid, visit=f"V{sid}", code=H2, admitted="2026-03-01", discharged=discharged).replace(
            f"{discharged} 10:30:00", at)

    # Friday 6 March: 3 working days end on Wednesday 11 March (Beijing); the National Day week counts none
    rows = [settled("B1", "2026-03-06", "2026-03-11 23:59:59"), settled("B2", "2026-03-06", "2026-03-12 00:00:00"),
            settled("B3", "2026-03-09", "2026-03-09 08:00:00"), settled("B4", "2026-09-30", "2026-10-09 09:00:00")]
    assert imported(region, csv(*rows)).error_count == 0
    check_tables(region, REGION, 2026, dt.date(2026, 10, 20), "jiesuan1")  # months July–September
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")  # months January–March
    with region() as s:
        got = {(b.month, b.settlements, b.within) for b in s.scalars(select(DepositBilling))}
    assert (dt.date(2026, 3, 1), 3, 2) in got and (dt.date(2026, 9, 1), 1, 1) in got
    sign_in(client, "shenji1")
    page = client.get(f"/deposit/{REGION}/2026/hospitals/{H2}").get_data(as_text=True)
    assert "出院结算及时率" in page and "66.67%" in page


def test_gz16_the_grassroots_table_is_proposed_by_fund_settlement_and_approved_by_administration(sessions, app,
                                                                                                 client, cli_runner):
    from prepay_admin.services import grassroots
    from tests.console import as_user, token_for
    from tests.screens import csrf_token, sign_in

    load_demo(sessions, institutions=30, seed=2026, year=2026, discharges=True, play=False)
    with pytest.raises(ServiceError):
        grassroots.propose(sessions, REGION, 2026, "yibaoju1")  # 医保行政 approves, it does not compute
    first = grassroots.propose(sessions, REGION, 2026, "jiesuan1")
    assert first.lines > 0 and first.institutions > 0
    with pytest.raises(ServiceError) as err:
        grassroots.decide(sessions, REGION, first.table_id, False, " ", "yibaoju1")
    assert err.value.field == "note"
    with pytest.raises(ServiceError):
        documents.issue(sessions, "grassroots_table", REGION, "jiesuan1", year=2026)  # not approved yet
    sign_in(client, "yibaoju1")
    page = client.get(f"/deposit/{REGION}/2026/grassroots").get_data(as_text=True)
    assert "待审核" in page and "审定" in page and "统一额度" in page
    returned = client.post(f"/deposit/{REGION}/2026/grassroots/{first.table_id}/decision",
                           data={"csrf_token": csrf_token(client, "/password"), "decision": "return",
                                 "note": "请按县区分别测算"})
    assert returned.status_code == 302
    again = cli_runner.invoke(args=["deposit", "grassroots", "--region", REGION, "--year", "2026", "--propose"],
                              env=as_user(app, "jiesuan1"))
    assert again.exit_code == 0 and f"取代第 {first.table_id} 号" in again.output, again.output
    clerk = {"Authorization": f"Bearer {token_for(app, 'yibaoju1')}", "Idempotency-Key": "g1"}
    table = client.get(f"/api/v1/regions/{REGION}/deposit-grassroots/2026", headers=clerk).json["table"]
    approved = client.post(f"/api/v1/regions/{REGION}/grassroots-tables/{table['id']}/decision",
                           json={"approve": True, "note": "会同卫生健康委审定"}, headers=clerk)
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    issued = documents.issue(sessions, "grassroots_table", REGION, "jiesuan1", year=2026)
    from docx import Document
    cells = [c.text for t in Document(io.BytesIO(issued.data)).tables for r in t.rows for c in r.cells]
    assert "统一额度（元）" in cells
    with sessions() as s:
        from prepay_admin.models import GrassrootsAmount, Transition
        small = s.scalars(select(GrassrootsAmount.cases).where(GrassrootsAmount.table_id == table["id"])).all()
        moves = s.scalars(select(Transition.action).where(Transition.machine == "grassroots_table")
                          .order_by(Transition.id)).all()
    assert moves == ["propose", "return", "propose", "supersede", "approve"]
    table_rows = [[c.text for c in r.cells] for t in Document(io.BytesIO(issued.data)).tables for r in t.rows][1:]
    assert min(small) < 5 and len(table_rows) == sum(n >= 5 for n in small)  # under 5 cases never sent out
    assert all(int(r[4]) >= 5 for r in table_rows)


def test_item6_what_is_sent_to_a_hospital_or_the_health_commission_leaves_out_cells_under_5(region, app, client):
    from openpyxl import load_workbook

    from tests.screens import sign_in

    _checked(region)  # H1, GB19: 25 employee stays, 3 resident ones
    sign_in(client, "jiesuan1")
    book = load_workbook(io.BytesIO(client.get(f"/deposit/{REGION}/2026/hospitals/{H1}/reference.xlsx").data))
    rows = [[c.value for c in r] for r in book.active.iter_rows()]
    text = "\n".join(str(v) for r in rows for v in r if v is not None)
    assert "职工医保" in text and "居民医保" not in text and "例数少于 5 例的 1 项不予列示" in text
    issued = documents.issue(region, "deposit_reference", REGION, "jiesuan1", year=2026, institution=H1)
    from docx import Document
    cells = [c.text for t in Document(io.BytesIO(issued.data)).tables for r in t.rows for c in r.cells]
    assert "职工医保" in cells and "居民医保" not in cells
    with pytest.raises(ServiceError):
        documents.issue(region, "deposit_quarterly", REGION, "caiwu1", year=2026)
    report = documents.issue(region, "deposit_quarterly", REGION, "jiesuan1", year=2026)
    body = "\n".join(p.text for p in Document(io.BytesIO(report.data)).paragraphs)
    # H2 published but its settlements came after the run: of the hospitals with cases (H1), 1 publishes
    assert "已公示住院预交金额度 1 家" in body and "季度报告" in body


def test_a_finding_gone_without_the_hospital_changing_anything_lapses_and_another_years_check_leaves_it(region):
    _checked(region)
    above = findings(region, "above_reference")[0]
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")
    # a check against another year's reference leaves this year's findings as they are
    assert imported(region, csv(*[row(sid=f"Y{n}", visit=f"VY{n}", admitted="2022-05-01", discharged="2022-05-09")
                                  for n in range(3)])).error_count == 0
    compute_reference(region, REGION, 2025, "jiesuan1")
    check_tables(region, REGION, 2025, dt.date(2026, 4, 3), "jiesuan1")
    assert {f.status for f in findings(region) if f.run_id != above.run_id or f.id == above.id} >= {"new"}
    assert next(f for f in findings(region) if f.id == above.id).status == "new"
    # late settlements in the window raise the hospital's mean burden: the excess is gone, but the hospital
    # changed nothing: 不再成立, not 已整改
    late = [row(sid=f"HB{n}", visit=f"VHB{n}", total="10000.00", fund="1000.00", burden="9000.00", copay="8000.00",
                self_pay="1000.00", cash="9000.00", account="0.00", admitted="2025-08-01", discharged="2025-08-09")
            for n in range(10)]
    assert imported(region, csv(*late)).error_count == 0
    compute_reference(region, REGION, 2026, "jiesuan1")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 4), "jiesuan1")
    assert next(f for f in findings(region) if f.id == above.id).status == "lapsed"


def test_xj24_an_overdue_trigger_becomes_a_breach_and_the_same_amount_redated_is_no_recomputation(region):
    compute_reference(region, REGION, 2026, "jiesuan1")
    assert imported(region, _months_below()).error_count == 0
    _published(region, f"{H2},GB20,职工医保,2000.00,,2025-12-15,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")
    (below,) = findings(region, "below_deposit")
    assert not below.breach and below.due_on == dt.date(2026, 5, 6)  # 1 May, Labour Day: the next working day
    _published(region, f"{H2},GB20,职工医保,2000.00,重新测算（未变）,2026-04-05,")  # the same amount re-dated
    check_tables(region, REGION, 2026, dt.date(2026, 5, 6), "jiesuan1")
    assert not findings(region, "below_deposit")[0].breach  # the last day is in time
    check_tables(region, REGION, 2026, dt.date(2026, 5, 7), "jiesuan1")
    (below,) = findings(region, "below_deposit")
    assert below.status == "new" and below.breach  # 30 days passed: XJ 24 not met
    _published(region, f"{H2},GB20,职工医保,1200.00,重新测算,2026-05-08,")
    check_tables(region, REGION, 2026, dt.date(2026, 5, 9), "jiesuan1")
    with region() as s:
        from prepay_admin.models import Transition
        reason = s.scalar(select(Transition.reason).where(Transition.machine == "deposit_finding",
                                                          Transition.action == "rectify"))
    assert findings(region, "below_deposit")[0].status == "rectified" and "逾期" in reason


def test_item7_the_dashboard_counts_a_deposit_at_the_reference_within_it_and_a_fen_above_outside(region):
    from prepay_admin.queries.deposit import overview

    assert imported(region, _month_of_settlements()).error_count == 0
    compute_reference(region, REGION, 2026, "jiesuan1")  # H1, GB19, employees: 3,000.00 over 25 stays
    _published(region, f"{H1},GB19,职工医保,3000.00,,2026-01-01,", f"{H1},GB19,居民医保,9000.00,,2026-01-01,")
    at = overview(region, REGION, 2026, dt.date(2026, 2, 1))
    assert (at.lines, at.compliant) == (1, 1) and dict(at.distribution)["80%—100%"] == 1  # the small cell: no basis
    _published(region, f"{H1},GB19,职工医保,3000.01,,2026-02-02,")
    above = overview(region, REGION, 2026, dt.date(2026, 2, 3))
    assert (above.lines, above.compliant) == (1, 0) and dict(above.distribution)["超出 0—20%"] == 1


def test_xj24_a_table_not_updated_within_30_days_of_the_new_reference_is_found_and_met_by_the_whole_table(region):
    from sqlalchemy import update

    from prepay_admin.clock import TIMEZONE
    from prepay_admin.models import DepositRun

    compute_reference(region, REGION, 2026, "jiesuan1")
    made = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TIMEZONE)  # the day the year's reference was made
    with region.begin() as s:
        s.execute(update(DepositRun).values(computed_at=made))
    _published(region, f"{H1},GB19,职工医保,2800.00,,2025-12-15,", f"{H1},GB20,职工医保,900.00,,2026-01-05,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 1), "jiesuan1")  # the 30th day: still in time
    assert findings(region, "not_updated") == []
    # a correction of the reference later does not restart the days
    compute_reference(region, REGION, 2026, "jiesuan1")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")
    (late,) = findings(region, "not_updated")
    assert late.group_code == "全部病组" and not late.breach and late.due_on is None  # 原则上: a signal
    assert "1 条" in late.message and late.article == "默认"  # the national profile: 30 days by default
    notice = documents.issue(region, "deposit_recompute", REGION, "jiesuan1", year=2026, institution=H1)
    from docx import Document
    text = "\n".join(p.text for p in Document(io.BytesIO(notice.data)).paragraphs)
    cells = "\n".join(c.text for t in Document(io.BytesIO(notice.data)).tables for r in t.rows for c in r.cells)
    assert "每年应根据最新医保结算数据" in text and "更新住院预交金公示表" in text and "未整体更新" in cells
    assert "日内重新测算" not in text  # no trigger: the triggers' rule is not recited
    assert findings(region, "not_updated")[0].status == "notified"
    # the stale line republished unchanged (the whole table now dates from this year) meets it
    _published(region, f"{H1},GB19,职工医保,2800.00,年度更新,2026-04-10,")
    check_tables(region, REGION, 2026, dt.date(2026, 4, 11), "jiesuan1")
    assert findings(region, "not_updated")[0].status == "rectified"


def test_xj24_the_yearly_update_runs_from_the_first_run_that_gave_the_hospital_its_cells(region):
    from sqlalchemy import update

    from prepay_admin.clock import TIMEZONE
    from prepay_admin.models import DepositRun

    _published(region, f"{H2},GB21,职工医保,2000.00,,2025-12-15,")
    compute_reference(region, REGION, 2026, "jiesuan1")  # H2 has no settlements yet: no cells
    with region.begin() as s:
        s.execute(update(DepositRun).values(computed_at=dt.datetime(2026, 1, 10, 9, 0, tzinfo=TIMEZONE)))
    late = [row(sid=f"L{n}", visit=f"VL{n}", code=H2, group="GB21", admitted="2025-05-01", discharged="2025-05-10")
            for n in range(3)]
    assert imported(region, csv(*late)).error_count == 0
    compute_reference(region, REGION, 2026, "jiesuan1")  # the run that first gives H2 its cells
    with region.begin() as s:
        s.execute(update(DepositRun).where(DepositRun.superseded_by.is_(None))
                  .values(computed_at=dt.datetime(2026, 3, 28, 9, 0, tzinfo=TIMEZONE)))
    check_tables(region, REGION, 2026, dt.date(2026, 4, 2), "jiesuan1")  # 2/9 passed, but not H2's 4/27
    assert findings(region, "not_updated") == []
    check_tables(region, REGION, 2026, dt.date(2026, 4, 28), "jiesuan1")
    assert [f.institution_id for f in findings(region, "not_updated")] != []


def test_item7_the_deposit_screens_and_api_read_precomputed_results_never_the_settlements(region, app, client):
    """DEPOSIT.md sizes: a prefecture holds 9 million settlements; a screen stays within 300 ms at any size only if
    it never reads them. Every statement the deposit screens and API pages execute is recorded and none names the
    settlements' table (they read the run's cells, the findings, the published lines, the billing the check
    computed)."""
    from sqlalchemy import event

    from tests.console import token_for
    from tests.screens import sign_in

    _checked(region)
    sign_in(client, "jiesuan1")
    token = {"Authorization": f"Bearer {token_for(app, 'shenji1')}"}
    statements: list[str] = []
    engine = app.extensions["prepay_engine"]

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        for path in (f"/deposit/{REGION}", f"/deposit/{REGION}/2026/overview", f"/deposit/{REGION}/2026",
                     f"/deposit/{REGION}/2026?class=employee&group=GB19", f"/deposit/{REGION}/2026/hospitals/{H1}",
                     f"/deposit/{REGION}/2026/grassroots"):
            assert client.get(path).status_code == 200, path
        for path in ("deposit-overview/2026", "deposit-references/2026", f"deposit-hospitals/2026/{H1}",
                     "deposit-findings", "deposit-grassroots/2026"):
            assert client.get(f"/api/v1/regions/{REGION}/{path}", headers=token).status_code == 200, path
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements
    assert [s for s in statements if " discharge" in s.lower()] == []


def test_item6_the_quarterly_report_states_the_standing_of_its_own_day_the_dashboard_that_of_the_last_check(
        region, app, client):
    from docx import Document

    from tests.screens import sign_in

    compute_reference(region, REGION, 2026, "jiesuan1")
    _published(region, f"{H1},GB19,职工医保,2900.00,,2026-01-01,")  # within the reference (3,000.00)
    check_tables(region, REGION, 2026, dt.date(2026, 1, 5), "jiesuan1")
    _published(region, f"{H1},GB19,职工医保,9000.00,,2026-05-01,")  # three times it, after the check
    sign_in(client, "jiesuan1")
    page = client.get(f"/deposit/{REGION}/2026/overview?on=2026-08-03").get_data(as_text=True)
    assert "2026-01-05 检查时执行的公示额度" in page  # the dashboard says which day its figures describe
    report = documents.issue(region, "deposit_quarterly", REGION, "jiesuan1", year=2026)
    body = "\n".join(p.text for p in Document(io.BytesIO(report.data)).paragraphs)
    assert "合规率 0.00%" in body and "100.00%" not in body  # the report's own day: 9,000.00 is above it
