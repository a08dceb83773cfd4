"""The database-free ``prepay-admin compute`` command and its JSON contract."""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from prepay_admin.console import cli
from prepay_admin.contract import ContractError, parse_input

WHATIF = (Path(__file__).parent.parent / "data" / "whatif.json").read_text(encoding="utf-8")


@pytest.fixture
def run(monkeypatch, tmp_path):
    # an unreachable database proves the command never connects
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, ["compute", *args], input=input, catch_exceptions=False)

    return invoke


def test_compute_reads_standard_input_and_writes_the_contract(run):
    result = run("--input", "-", input=WHATIF)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["year"] == 2026 and out["profile"] == "nantong-2025"
    assert [(f["fund"], f["payable_months"], f["open"]) for f in out["funds"]] == [
        ("employee", "15.60", True), ("resident", "6.00", False),
    ]
    assert out["funds"][1]["reasons"][0] == {
        "code": "fund_deficit_last_year", "article": "9§", "message": "居民医保基金上年出现当期赤字（-5,000,000.00 元）",
    }
    hospital, pharmacy = out["institutions"]
    assert hospital["eligible"] and hospital["months"] == "1.5" and hospital["ratio"] == "0.9"
    employee, resident = hospital["advances"]
    # two months of 7,407,407.34 over twelve = 1,234,567.89: the worked example, capped at 5,000,000
    assert employee == {
        "fund": "employee", "base": "1234567.89", "raw": "1666666.65", "rounded": "1670000.00",
        "uncapped": "1670000.00", "cap": "5000000.00", "amount": "1670000.00", "reasons": [],
    }
    assert resident["amount"] == "0.00" and resident["reasons"][0]["code"] == "fund_closed"
    assert hospital["total"] == "1670000.00"
    assert pharmacy == {"code": "P32060002", "eligible": False, "months": None, "ratio": None, "advances": [],
                        "total": "0.00", "reasons": pharmacy["reasons"], "notes": []}
    assert [r["code"] for r in pharmacy["reasons"]] == ["kind_not_eligible"]
    assert out["totals"] == {"employee": "1670000.00", "resident": "0.00", "all": "1670000.00"}


def test_compute_from_a_file_under_the_hebei_profile(run, tmp_path):
    path = tmp_path / "in.json"
    path.write_text(WHATIF, encoding="utf-8")
    out = json.loads(run("--input", str(path), "--profile", "hebei-2024").output)
    assert out["profile"] == "hebei-2024"
    # Hebei averages three years, so the same payouts give a third of the base
    assert out["institutions"][0]["advances"][0]["base"] == "411522.63"


def test_compute_prints_a_chinese_table_with_totals(run):
    result = run("--input", "-", "--format", "table", input=WHATIF)
    assert result.exit_code == 0
    assert "南通市第一人民医院" in result.output and "1,670,000.00" in result.output
    assert "合计：机构 2 家，符合条件 1 家，获得预付 1 家" in result.output
    assert "机构类型“定点零售药店”不属于年度预付金对象（7§）" in result.output


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ContractError) as err:
        parse_input((data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)).encode())
    return err.value.problems


def mutate(path, value=..., drop=False):
    data = json.loads(WHATIF)
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    if drop:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    "data, pointer, fragment",
    [
        ("{not json", "/", "不是有效的 JSON"),
        (mutate(["year"], drop=True), "/year", "缺少必填字段"),
        (mutate(["year"], "2026"), "/year", "须为整数"),
        (mutate(["funds", 0, "cumulative_surplus"], 15600000000.5), "/funds/0/cumulative_surplus", "浮点数"),
        (mutate(["funds", 0, "monthly_expenditure"], 1000), "/funds/0/monthly_expenditure", "数字 1000"),
        (mutate(["funds", 0, "monthly_expenditure"], "0"), "/funds/0/monthly_expenditure", "大于 0"),
        (mutate(["funds", 1, "fund"], "pension"), "/funds/1/fund", "pension"),
        (mutate(["funds", 1, "fund"], "employee"), "/funds/1/fund", "基金重复"),
        (mutate(["institutions", 0, "kind"], "hospice"), "/institutions/0/kind", "不在可选值之内"),
        (mutate(["institutions", 0, "flags"], ["asset_seizure", "bankrupt"]), "/institutions/0/flags/1", "bankrupt"),
        (mutate(["institutions", 0, "performance_score"], 92), "/institutions/0/performance_score", "须为字符串形式的数字"),
        (mutate(["institutions", 0, "performance_score"], "100.5"), "/institutions/0/performance_score", "不能大于"),
        (mutate(["institutions", 0, "payouts", 0, "amount"], "-1.00"), "/institutions/0/payouts/0/amount", "不能小于 0"),
        (mutate(["institutions", 0, "payouts", 0, "amount"], "1.234"), "/institutions/0/payouts/0/amount", "小数位"),
        (mutate(["institutions", 0, "payouts", 0, "month"], "2025-13"), "/institutions/0/payouts/0/month", "YYYY-MM"),
        (mutate(["institutions", 0, "payouts", 1, "month"], "2025-01"), "/institutions/0/payouts/1/month", "重复"),
        (mutate(["institutions", 0, "payouts", 2, "out_of_region"], "2000000.00"), "/institutions/0/payouts/2/out_of_region", "不能大于拨付总额"),
        (mutate(["institutions", 0, "settled_since"], "2001/01/01"), "/institutions/0/settled_since", "YYYY-MM-DD"),
        (mutate(["institutions", 0, "state_run"], "yes"), "/institutions/0/state_run", "true 或 false"),
        (mutate(["institutions", 0, "level"], 4), "/institutions/0/level", "不能大于 3"),
        (mutate(["institutions", 0, "security"], drop=True), "/institutions/0/security", "缺少必填字段"),
        (mutate(["institutions", 0, "security", "kind"], "mortgage"), "/institutions/0/security/kind", "mortgage"),
        (mutate(["institutions", 0, "colour"], "red"), "/institutions/0/colour", "未知字段"),
        (mutate(["institutions", 1, "code"], "H32060001"), "/institutions/1/code", "机构编码重复"),
        (mutate(["institutions"], {"a": 1}), "/institutions", "数组"),
    ],
)
def test_bad_input_names_the_field_by_json_pointer(data, pointer, fragment):
    found = problems(data)
    assert any(p == pointer and fragment in m for p, m in found), found


def test_every_problem_is_reported_at_once():
    data = mutate(["year"], drop=True)
    data["funds"][0]["monthly_expenditure"] = 1.5
    data["institutions"][1]["credit_grade"] = "E"
    assert {p for p, _ in problems(data)} == {
        "/year", "/funds/0/monthly_expenditure", "/institutions/1/credit_grade",
    }


def test_bad_input_exits_2_with_one_line_per_problem_and_no_traceback(run):
    data = mutate(["funds", 0, "cumulative_surplus"], 1.5)
    data["institutions"][0]["kind"] = "hospice"
    result = run("--input", "-", input=json.dumps(data))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("/funds/0/cumulative_surplus: ")
    assert lines[1].startswith("/institutions/0/kind: ")
    assert "Traceback" not in result.output


def test_an_unknown_profile_exits_2_naming_the_option(run):
    result = run("--input", "-", "--profile", "nowhere-1999", input=WHATIF)
    assert result.exit_code == 2
    assert result.output.startswith("--profile: 没有名为 nowhere-1999 的政策参数方案")


def test_the_output_is_valid_json_with_no_institutions_too(run):
    data = json.loads(WHATIF)
    data["institutions"] = []
    out = json.loads(run("--input", "-", input=json.dumps(data)).output)
    assert out["institutions"] == [] and out["totals"]["all"] == "0.00"
