"""``prepay-admin db``: the schema, through Alembic only."""
from __future__ import annotations

import click
from alembic import command
from flask import current_app
from flask.cli import with_appcontext

from ..migrate import alembic_config


@click.group(help="数据库结构（Alembic 迁移）")
def db() -> None:
    pass


@db.command(help="升级数据库结构到最新版本（或指定版本）")
@click.argument("revision", default="head")
@with_appcontext
def upgrade(revision: str) -> None:
    command.upgrade(alembic_config(url=current_app.config["DATABASE_URL"]), revision)
    click.echo("数据库结构已是最新。")


@db.command(help="显示数据库当前的迁移版本")
@with_appcontext
def current() -> None:
    command.current(alembic_config(url=current_app.config["DATABASE_URL"]), verbose=False)


@db.command(help="（开发者）按模型差异生成迁移脚本")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision(message: str) -> None:
    command.revision(alembic_config(url=current_app.config["DATABASE_URL"]), message=message, autogenerate=True)
