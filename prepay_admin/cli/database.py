"""``prepay-admin db``: the schema, through Alembic only."""
from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import with_appcontext

from ..migrate import alembic_config, autovacuum_off, current_revision
from ..migrate import grant_app_role as grant
from ..migrate import upgrade as migrate_to
from .common import fail


@click.group(help="数据库结构（Alembic 迁移）")
def db() -> None:
    pass


@db.command(help="升级数据库结构到最新版本（或指定版本）")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    url = current_app.config["DATABASE_URL"]
    before = current_revision(url)
    added = migrate_to(url, revision, report=lambda line: click.echo(f"账套按新科目口径调整：{line}"))
    after = current_revision(url)
    if added:
        click.echo(f"已存入随软件发布的政策参数方案：{'、'.join(added)}")
    if before == after:  # issue 30: a new database's first upgrade said "already up to date"
        click.echo(f"数据库结构已是最新（版本 {after}），无需升级。")
    elif before is None:
        click.echo(f"已创建数据库结构（版本 {after}）。")
    else:
        click.echo(f"数据库结构已从版本 {before} 升级到 {after}。")
    if autovacuum_off(current_app.config["DATABASE_URL"]):
        click.echo("注意：该 PostgreSQL 服务器关闭了 autovacuum。表增长后统计信息和已准备语句的执行计划不会更新，"
                   "批量记账、核验等会越来越慢；生产环境请开启（PostgreSQL 默认开启）。", err=True)


@db.command(help="显示数据库当前的迁移版本")
@with_appcontext
def current() -> None:
    command.current(alembic_config(url=current_app.config["DATABASE_URL"]), verbose=False)


@db.command(help="（开发者）按模型差异生成迁移脚本")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    command.revision(alembic_config(url=current_app.config["DATABASE_URL"]), message=message, autogenerate=True)


@db.command("grant-app-role", help="（PostgreSQL，以库主身份运行）授予应用连接角色最小权限：账簿只可查询、追加，不可改删，不能动触发器")
@click.argument("role")
@with_appcontext
def grant_app_role(role: str) -> None:
    try:
        grant(current_app.config["DATABASE_URL"], role)
    except ValueError as err:
        fail(f"ROLE: {err}")
    click.echo(f"已授予角色 {role}：账簿表只可查询和追加，其他表可增删改查。应用以该角色连接，迁移以库主连接。")
