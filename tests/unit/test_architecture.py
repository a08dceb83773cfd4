"""The house's rules, as tests: thin shells, one resolver of the year's rules, an independent ledger,
named workflow states, and a factory nothing imports back."""
import ast

import pytest

from prepay_admin.policy import transitions
from tests.unit.imports import ROOT, imported_modules, modules_under

SHELLS = ["prepay_admin.cli", "prepay_admin.web", "prepay_admin.api"]


def _all(package):
    return list(modules_under(package))


@pytest.mark.parametrize("shell", SHELLS)
def test_the_shells_import_neither_sqlalchemy_nor_the_models(shell):
    offenders = {m: sorted(n for n in imported_modules(p, m)
                           if n.split(".")[0] == "sqlalchemy" or n.startswith("prepay_admin.models")
                           or n.startswith("accounting.models"))
                 for m, p in _all(shell)}
    assert {m: v for m, v in offenders.items() if v} == {}


@pytest.mark.parametrize("shell", SHELLS)
def test_the_shells_open_no_session_themselves(shell):
    """No ``sessions()()`` nor ``.begin()``: a shell hands the session factory to a service or a query."""
    offenders = []
    for module, path in _all(shell):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and "session" in ast.unparse(node.func.func):
                offenders.append(f"{module}:{node.lineno} opens a session: {ast.unparse(node)}")
            if isinstance(node, ast.Attribute) and node.attr in ("begin", "execute", "scalar", "scalars"):
                offenders.append(f"{module}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_the_ledger_does_not_import_the_application():
    offenders = {m: sorted(n for n in imported_modules(p, m) if n.split(".")[0] in ("prepay_admin", "flask"))
                 for m, p in _all("accounting")}
    assert {m: v for m, v in offenders.items() if v} == {}


def test_the_documents_know_neither_the_application_nor_a_database():
    offenders = {m: sorted(n for n in imported_modules(p, m) if n.split(".")[0] in ("prepay_admin", "flask", "sqlalchemy"))
                 for m, p in _all("agreements")}
    assert {m: v for m, v in offenders.items() if v} == {}


def test_nothing_imports_the_application_factory_back_but_the_entry_points():
    importers = sorted(m for package in ("prepay_admin", "accounting") for m, p in _all(package)
                       if "prepay_admin.app" in imported_modules(p, m))
    assert importers == ["prepay_admin.console"]


ALLOWED_PROFILE_LOADERS = {
    "prepay_admin.services.rules",  # the one resolver of a region's year
    "prepay_admin.services.profiles",  # validates a file whole before it is stored
    "prepay_admin.queries.profiles",  # shows and compares stored versions as they are, with no year's overrides
    "prepay_admin.cli.compute",  # the what-if on a file, with no region and so no overrides
}
PROFILE_LOADERS = {"load_profile", "profile_from_text", "profile_from_data", "draft_profile"}


def test_exactly_one_function_resolves_the_effective_profile_of_a_regions_year():
    callers = set()
    for package in ("prepay_admin",):
        for module, path in _all(package):
            if module.startswith("prepay_admin.profiles"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) in PROFILE_LOADERS
                   for n in ast.walk(tree)):
                callers.add(module)
    assert callers <= ALLOWED_PROFILE_LOADERS, callers - ALLOWED_PROFILE_LOADERS
    rules = (ROOT / "prepay_admin/services/rules.py").read_text(encoding="utf-8")
    assert rules.count("def effective_profile(") == 1


STATES = {s.value for enum in (transitions.CampaignState, transitions.ApplicationState, transitions.DeterminationState,
                               transitions.AgreementState, transitions.BatchState, transitions.PaymentState)
          for s in enum}


@pytest.mark.parametrize("package", ["prepay_admin.services", "prepay_admin.queries"])
def test_workflow_states_are_named_not_bare_strings(package):
    """A comparison or assignment with a state written as a string drifts from the table: use the enums."""
    offenders = []
    for module, path in _all(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                values = [node.left, *node.comparators]
            elif isinstance(node, ast.keyword) and node.arg == "state":
                values = [node.value]
            else:
                continue
            for v in values:
                if isinstance(v, ast.Constant) and v.value in STATES:
                    offenders.append(f"{module}:{node.lineno} {v.value!r}")
    assert offenders == []


def test_29_every_import_kind_has_exactly_one_target_and_every_target_a_kind():
    """The intake's kinds are the list the shells offer; the service writes each through its target."""
    from prepay_admin.intake.kinds import KINDS
    from prepay_admin.services.imports import TARGETS

    assert set(TARGETS) == set(KINDS)


def test_29_the_document_kinds_are_listed_only_in_the_registry():
    """Issue 29: kinds were listed in five places and the API's list drifted; now the registry is the list."""
    names = ("application_form", "year_end_notice", "determination_notice")
    offenders = []
    for package in ("prepay_admin", "agreements"):
        for module, path in _all(package):
            if module == "prepay_admin.services.documents":
                continue
            text = path.read_text(encoding="utf-8")
            offenders += [f"{module}: {name}" for name in names if f'"{name}"' in text]
    assert offenders == []


def test_29_the_readme_layout_names_every_module_of_the_house():
    """The README's layout table matches the tree: every top-level module and package, and every screen
    module, is named there (issue 29: seven screen modules and the intake were missing)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    layout = layout[:layout.index("\n## ", 4)]
    missing = []
    for top in ("prepay_admin", "accounting", "agreements"):
        for entry in sorted((ROOT / top).iterdir()):
            if entry.name.startswith(("_", ".")) or entry.suffix not in ("", ".py") or entry.name in (
                    "templates", "static"):
                continue
            named = f"{top}/{entry.name}" + ("/" if entry.is_dir() else "")
            if top != "prepay_admin":
                named = f"{top}/"  # the independent packages are described whole
            if named not in layout:
                missing.append(named)
    for entry in sorted((ROOT / "prepay_admin/web").glob("*.py")):
        if entry.name != "__init__.py" and f"web/{entry.name}" not in layout:
            missing.append(f"web/{entry.name}")
    assert sorted(set(missing)) == []
