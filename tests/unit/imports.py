"""Read a module's imports, relative ones resolved to absolute names (for the architecture tests)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def modules_under(package: str):
    """(module name, path) of every module of a package."""
    base = ROOT / package.replace(".", "/")
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imported_modules(path: Path, module: str) -> set[str]:
    """Every module ``module`` (at ``path``) imports, as absolute dotted names."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            if node.module is None:  # "from . import x": x is a module of the package
                found |= {f"{target}.{alias.name}" for alias in node.names}
    return found
