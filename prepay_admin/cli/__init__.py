"""The console's commands. They only parse, call a service or a query, and render.

Each top-level command lives in its own module and is imported only when it runs
(``prepay_admin.console`` names them in ``LAZY``), so the console starts fast. The web
factory registers all of them on ``app.cli`` (``commands()``), so ``flask`` and the test
runner see them too. They import neither SQLAlchemy nor the models, and open no session
themselves.
"""
from __future__ import annotations

import importlib

import click

# name → (module, attribute, one line of help); the console lists these without importing them
COMMANDS: dict[str, tuple[str, str, str]] = {
    "db": ("database", "db", "数据库结构（Alembic 迁移）"),
    "demo": ("demo", "demo", "演示数据"),
    "users": ("identity", "users", "用户管理（运维命令，记录操作系统登录名）"),
    "login": ("identity", "login", "登录：保存登录凭证，此后命令以该用户身份办理"),
    "logout": ("identity", "logout", "退出登录：吊销并删除保存的登录凭证"),
    "whoami": ("identity", "whoami", "显示当前以谁的身份办理"),
    "todo": ("todo", "todo", "我的待办：本部门等待办理的事项"),
    "compute": ("compute", "compute", "测算预付金（JSON 文件或数据库中的统筹地区）"),
    "policy": ("policy", "policy", "政策参数方案"),
    "ledger": ("ledger", "ledger", "会计核算：暂付款—医保预付金账簿"),
    "scheduler": ("scheduler", "scheduler", "定时任务（独立进程）"),
    "cycle": ("cycle", "cycle", "年度预付：申请、核定、签约、审核、拨付"),
    "calendar": ("calendar", "calendar", "节假日安排"),
    "region": ("intake", "region", "统筹地区"),
    "import": ("intake", "import_", "导入数据（.xlsx / .csv）"),
    "settlement": ("recovery", "settlement_", "月度结算：扣回预付金、银行支付清单"),
    "recovery": ("recovery", "recovery", "预付金收回：年终处理、触发收回、催收、诉讼与核销"),
    "presettlement": ("recovery", "presettlement", "月度预结金（26§）"),
    "conditions": ("conditions", "conditions", "机构情形：解除申请人自查或收回情形带来的情形（稽核）"),
    "docs": ("documents", "docs", "文书：协议、通知书、公示、对账单；登记与核验"),
    "simulate": ("simulate", "simulate", "模拟若干年度（可注入故障），每步核对资金不变量"),
    "deposit": ("deposit", "deposit", "住院预交金：参考额度测算与监测"),
}


def load(name: str) -> click.Command:
    """The command ``name``, importing only its own module."""
    module, attribute, _ = COMMANDS[name]
    return getattr(importlib.import_module(f"{__name__}.{module}"), attribute)


def commands() -> list[click.Command]:
    """Every command, for the web factory's ``app.cli``."""
    return [load(name) for name in COMMANDS]
