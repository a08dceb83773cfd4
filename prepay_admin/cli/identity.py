"""``prepay-admin login|logout|whoami`` and ``prepay-admin users …``: who acts at the console.

Business commands act as the user of a token: ``login`` stores one (file mode 0600) or
``PREPAY_TOKEN`` carries it. ``users`` is an operator command, run at the server by whoever
administers it; each change is recorded with the OS login.
"""
from __future__ import annotations

import os
import socket
import sys

import click
from flask.cli import with_appcontext

from ..policy.departments import DEPARTMENT_CN, Department
from ..services import identity
from .common import CODE, TEXT, acting_user, app_sessions, operator, run_service, token_file

DEPARTMENTS = {d.value: d for d in Department}


def _password(prompt: str, from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=prompt != "密码", err=True)


@click.command(help="登录：保存登录凭证（权限 0600），此后命令以该用户身份办理")
@click.option("--username", prompt="用户名", type=CODE)
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（脚本用）")
@with_appcontext
def login(username: str, password_stdin: bool) -> None:
    password = _password("密码", password_stdin)
    who = run_service(lambda: identity.sign_in(app_sessions(), username, password, f"console@{socket.gethostname()}"))
    token = run_service(lambda: identity.issue_token(app_sessions(), who.username,
                                                     f"console@{socket.gethostname()}", who.username))
    path = token_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    os.chmod(path, 0o600)
    click.echo(f"已登录：{who.name}（{who.department_cn}），统筹地区 {'、'.join(who.regions) or '无'}。凭证保存在 {path}")


@click.command(help="退出登录：吊销并删除保存的登录凭证")
@with_appcontext
def logout() -> None:
    path = token_file()
    if not path.is_file():
        click.echo("当前未登录。")
        return
    token = path.read_text(encoding="utf-8").strip()
    run_service(lambda: identity.revoke_token(app_sessions(), token, operator()))
    path.unlink()
    click.echo("已退出登录。")


@click.command(help="显示当前以谁的身份办理")
@with_appcontext
def whoami() -> None:
    username = acting_user()
    click.echo(f"当前用户：{username}")


@click.group(help="用户管理（运维命令：在服务器上由系统管理员运行，记录操作系统登录名）")
def users() -> None:
    pass


@users.command("create", help="创建用户（交互输入密码，或 --password-stdin）")
@click.argument("username", type=CODE)
@click.option("--name", required=True, type=TEXT, help="姓名")
@click.option("--department", required=True, type=click.Choice(list(DEPARTMENTS)),
              help="；".join(f"{k} {DEPARTMENT_CN[v]}" for k, v in DEPARTMENTS.items()))
@click.option("--region", "regions", multiple=True, type=CODE, help="可办理的统筹地区（可多次指定）")
@click.option("--password-stdin", is_flag=True)
@with_appcontext
def create(username, name, department, regions, password_stdin) -> None:
    password = _password("新密码", password_stdin)
    who = run_service(lambda: identity.create_user(app_sessions(), username, name, DEPARTMENTS[department], password,
                                                   tuple(regions), operator()))
    click.echo(f"已创建用户 {who.username}（{who.name}，{who.department_cn}），统筹地区 {'、'.join(who.regions) or '无'}。")


@users.command("set-password", help="重设用户密码")
@click.argument("username", type=CODE)
@click.option("--password-stdin", is_flag=True)
@with_appcontext
def set_password(username, password_stdin) -> None:
    password = _password("新密码", password_stdin)
    run_service(lambda: identity.set_password(app_sessions(), username, password, operator()))
    click.echo(f"已重设 {username} 的密码。")


@users.command("disable", help="停用用户（不能登录，已签发的凭证失效）")
@click.argument("username", type=CODE)
@with_appcontext
def disable(username) -> None:
    run_service(lambda: identity.disable_user(app_sessions(), username, operator()))
    click.echo(f"已停用 {username}。")


@users.command("grant-region", help="授予用户办理某统筹地区业务的权限")
@click.argument("username", type=CODE)
@click.option("--region", "region_code", required=True, type=CODE)
@with_appcontext
def grant_region(username, region_code) -> None:
    run_service(lambda: identity.grant_region(app_sessions(), username, region_code, operator()))
    click.echo(f"已授予 {username} 统筹地区 {region_code}。")


@users.command("token", help="为用户签发接口令牌（只显示这一次）")
@click.argument("username", type=CODE)
@click.option("--name", required=True, type=TEXT, help="令牌用途，如 结算平台对接")
@with_appcontext
def token(username, name) -> None:
    issued = run_service(lambda: identity.issue_token(app_sessions(), username, name, operator()))
    click.echo(issued)
