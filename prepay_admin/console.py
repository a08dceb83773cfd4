"""The ``prepay-admin`` console command: a group whose commands are imported only when they run.

An entry point, like ``wsgi.py``: it imports the factories; the commands themselves live in
``prepay_admin.cli`` and never do. A business command runs in the console app (engine and
sessions only); ``run``, ``routes`` and ``shell`` get the whole web application. So
``prepay-admin --help`` imports no command, and ``ledger trial-balance`` imports the ledger's
command and what it calls, not every screen and the API.
"""
from __future__ import annotations

import click
from flask.cli import ScriptInfo

from . import cli as commands
from .app import create_app, create_console_app

WEB_COMMANDS = {"run": ("run_command", "启动 Web 服务（开发服务器）"),
                "routes": ("routes_command", "列出 Web 路由"),
                "shell": ("shell_command", "在应用上下文中启动 Python 交互环境")}


class Console(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*commands.COMMANDS, *WEB_COMMANDS]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        info = ctx.ensure_object(ScriptInfo)
        if name in WEB_COMMANDS:
            import flask.cli

            info.create_app = create_app
            return getattr(flask.cli, WEB_COMMANDS[name][0])
        if name in commands.COMMANDS:
            info.create_app = create_console_app
            return commands.load(name)
        return None

    def make_context(self, info_name, args, parent=None, **extra):
        """A new ScriptInfo per run: it keeps the app it loaded, which a second run in one process (a test's)
        must not inherit with another run's DATABASE_URL."""
        extra.setdefault("obj", ScriptInfo(create_app=create_console_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context):
        """A database without the schema is one line saying what to run, not a traceback."""
        try:
            return super().invoke(ctx)
        except Exception as err:
            if _missing_schema(err):
                raise click.UsageError("数据库尚未建表：请先运行 prepay-admin db upgrade") from None
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list from the table, so that ``--help`` imports no command."""
        rows = [(name, help_) for name, (_, _, help_) in commands.COMMANDS.items()]
        rows += [(name, help_) for name, (_, help_) in WEB_COMMANDS.items()]
        with formatter.section("命令"):
            formatter.write_dl(rows)


def _missing_schema(err: Exception) -> bool:
    """True for the driver's "no such table" (SQLite) or "relation does not exist" (PostgreSQL)."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    text = str(getattr(err, "orig", err))
    return isinstance(err, (OperationalError, ProgrammingError)) and (
        "no such table" in text or ("relation" in text and "does not exist" in text))


cli = Console(help="医保基金预付金管理（prepay-admin）")
