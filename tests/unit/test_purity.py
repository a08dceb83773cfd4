"""The functional core imports neither Flask nor SQLAlchemy, nor anything that does I/O."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = [ROOT / "prepay_admin" / "policy"]
PURE_MODULES = [ROOT / "accounting" / name for name in ("chart.py", "entries.py", "templates.py")]
FORBIDDEN = {"flask", "sqlalchemy", "alembic", "marshmallow", "os", "pathlib", "io", "socket", "requests"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_pure_core_modules_import_no_framework_or_io():
    offenders = {
        str(f.relative_to(ROOT)): sorted(imported_roots(f) & FORBIDDEN)
        for f in [*(f for p in PURE_PACKAGES for f in p.rglob("*.py")), *PURE_MODULES]
        if imported_roots(f) & FORBIDDEN
    }
    assert offenders == {}


def test_importing_the_rules_engine_loads_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, prepay_admin.policy.engine, prepay_admin.policy.solvency, accounting.templates;"
        "bad = [m for m in ('flask', 'sqlalchemy') if m in sys.modules];"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_the_ledger_package_does_not_import_flask():
    offenders = [str(f.relative_to(ROOT)) for f in (ROOT / "accounting").rglob("*.py") if "flask" in imported_roots(f)]
    assert offenders == []
