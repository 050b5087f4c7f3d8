"""The shape of the store: a package (interface and factory, the TinyDB and PostgreSQL backends,
the files layer, the lock), small modules, no import cycles, backends loaded only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_report_layout import MAX_LINES, PACKAGE, ROOT, _module_level_imports, _module_name, import_cycles

STORE = PACKAGE / "store"
#: The modules the store was before it became a package: none may come back at the top level.
OLD_MODULES = ["store.py", "pgstore.py", "pgschema.py", "storage.py", "locking.py", "migrate.py"]


def test_the_store_is_a_package_of_small_modules() -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted(STORE.rglob("*.py"))}
    for module in ("__init__", "files", "locking", "migrate", "tiny/__init__", "tiny/session", "tiny/store",
                   "postgres/__init__", "postgres/store", "postgres/session", "postgres/schema"):
        assert f"store/{module}.py" in sizes, sorted(sizes)
    assert not {name: n for name, n in sizes.items() if n > MAX_LINES}, sizes
    assert not [name for name in OLD_MODULES if (PACKAGE / name).exists()]


def test_store_modules_import_no_cycle() -> None:
    everything = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    paths = {_module_name(p): p for p in STORE.rglob("*.py")}
    graph = {name: _module_level_imports(path, everything) & set(paths) for name, path in paths.items()}
    # (the walk sees the imports)
    assert "socialwatch.store.tiny.session" in graph["socialwatch.store.tiny.store"]
    assert "socialwatch.store.postgres.session" in graph["socialwatch.store.postgres.store"]
    assert import_cycles(graph) == []


def test_the_interface_loads_no_backend() -> None:
    """`socialwatch.store` (the interface, the factory) and the files layer load neither backend's
    modules nor psycopg; the TinyDB names it exports load on first use. (The files layer imports
    `tinydb.storages`, hence `tinydb` itself, as `storage.py` did before the split.)"""
    code = ("import sys\n"
            "import socialwatch.store, socialwatch.store.files, socialwatch.store.locking\n"
            "def loaded():\n"
            "    return sorted(m for m in sys.modules if m.startswith(('socialwatch.store.tiny', "
            "'socialwatch.store.postgres', 'psycopg')))\n"
            "print(loaded())\n"
            "from socialwatch.store import SEGMENT_SIZE, Session, TinyStore\n"
            "from socialwatch.store.tiny import session\n"
            "assert TinyStore.__module__ == 'socialwatch.store.tiny.store' and Session is session.Session\n"
            "assert SEGMENT_SIZE == session.SEGMENT_SIZE\n"
            "print('socialwatch.store.tiny.store' in loaded(), [m for m in loaded() if 'postgres' in m or 'psycopg' in m])\n"
            "import socialwatch.store.postgres\n"
            "print([m for m in loaded() if m.startswith('psycopg')])\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "True []", "[]"]


@pytest.mark.parametrize("package", ["store", "store.tiny", "store.postgres"])
def test_the_store_packages_export_what_they_list(package: str) -> None:
    import importlib

    module = importlib.import_module("socialwatch." + package)
    assert module.__all__ and not [name for name in module.__all__ if not hasattr(module, name)]


def test_an_unknown_name_of_the_store_is_an_attribute_error() -> None:
    import socialwatch.store

    with pytest.raises(AttributeError):
        socialwatch.store.NoSuchThing  # noqa: B018
    assert not hasattr(socialwatch.store, "PgStore")  # (the backends are imported from their packages)
