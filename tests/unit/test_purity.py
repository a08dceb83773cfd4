"""The functional core imports neither Flask nor SQLAlchemy, nor anything that does I/O.

Imports are resolved, relative ones included, so ``from ..db import Base`` inside
``policy/`` is caught as surely as ``import sqlalchemy``.
"""
import subprocess
import sys

from tests.unit.imports import ROOT, imported_modules, modules_under

PURE_PACKAGES = ["prepay_admin.policy"]
PURE_MODULES = ["accounting.chart", "accounting.entries", "accounting.templates", "agreements.words",
                "prepay_admin.intake.cells",
                "prepay_admin.intake.codes", "prepay_admin.intake.kinds"]
FORBIDDEN = {"flask", "sqlalchemy", "alembic", "marshmallow", "os", "pathlib", "io", "socket", "requests"}


def _pure_files():
    for package in PURE_PACKAGES:
        yield from modules_under(package)
    for module in PURE_MODULES:
        yield module, ROOT / (module.replace(".", "/") + ".py")


def test_pure_core_modules_import_no_framework_or_io_nor_anything_impure_of_the_project():
    pure = {m for m, _ in _pure_files()} | set(PURE_PACKAGES)
    offenders = {}
    for module, path in _pure_files():
        bad = sorted(
            name for name in imported_modules(path, module)
            if name.split(".")[0] in FORBIDDEN
            or (name.split(".")[0] in ("prepay_admin", "accounting") and not any(
                name == p or name.startswith(p + ".") for p in pure))
        )
        if bad:
            offenders[module] = bad
    assert offenders == {}


def test_the_purity_check_catches_a_relative_import_out_of_the_core(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from ..db import Base\nfrom . import money\n", encoding="utf-8")
    assert imported_modules(planted, "prepay_admin.policy.planted") == {"prepay_admin.db", "prepay_admin.policy.money",
                                                                        "prepay_admin.policy"}


def test_importing_the_rules_engine_loads_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, prepay_admin.policy.engine, prepay_admin.policy.solvency, accounting.templates;"
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
