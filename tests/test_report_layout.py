"""The shape of the reporting code: what each command imports, module sizes, no import cycles."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

from tests.test_cli import sw, write_jsonl

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "socialwatch"
#: The project's rule: when an area grows, make it a package; no module over about 400 lines.
MAX_LINES = 400

# Runs the CLI in a fresh interpreter and prints, on stderr, which report, CSAT and chart modules it loaded.
PROBE = """
import contextlib, io, runpy, sys
sys.argv = ['socialwatch', *{args!r}]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module('socialwatch', run_name='__main__')
    except SystemExit:
        pass
print('LOADED', sorted(m for m in sys.modules
                       if m.split('.')[0] == 'matplotlib' or m.startswith(('socialwatch.report', 'socialwatch.csat'))),
      file=sys.stderr)
"""


def loaded_by(*args: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    line = next((ln for ln in out.stderr.splitlines() if ln.startswith("LOADED ")), None)
    assert line is not None, out.stderr
    return ast.literal_eval(line[len("LOADED "):])


@pytest.fixture
def stored(isolated_home: pathlib.Path, tmp_path: pathlib.Path) -> pathlib.Path:
    """A home with surveys on, a case answered, resolved and surveyed, and an open one."""
    assert sw("init")[0] == 0
    config = isolated_home / "socialwatch.toml"
    config.write_text(config.read_text() + '\n[csat]\nsources = ["import"]\nwhen = "on_resolve"\n')
    records = [
        {"id": "r1", "text": "charged twice, terrible", "author": {"handle": "ann"}, "created_at": "2026-11-16T10:00:00Z"},
        {"id": "r2", "text": "no signal again", "author": {"handle": "bo"}, "created_at": "2026-11-17T10:00:00Z"},
    ]
    code, _, err = sw("import", str(write_jsonl(tmp_path / "in.jsonl", records)))
    assert code == 0, err
    assert sw("--as", "alice", "reply", "file:r1", "--text", "Refunded, sorry.", "--resolve", "--yes")[0] == 0
    code, out, err = sw("csat", "send")
    assert code == 0 and "file:r1: sent" in out, (out, err)
    return tmp_path


@pytest.mark.parametrize("args", [["--help"], ["show", "file:r1"], ["triage", "--json"]])
def test_quick_commands_import_no_report_module(stored: pathlib.Path, args: list[str]) -> None:
    assert loaded_by(*args) == []


@pytest.mark.parametrize("args", [["report", "--since", "3650d"], ["report", "--since", "3650d", "--json"]])
def test_text_and_json_reports_draw_no_chart(stored: pathlib.Path, args: list[str]) -> None:
    loaded = loaded_by(*args)
    assert "socialwatch.report.kpi" in loaded
    assert not [m for m in loaded if m.startswith("matplotlib") or m in ("socialwatch.report.charts",
                                                                          "socialwatch.report.html")], loaded


def test_only_the_html_report_imports_matplotlib(stored: pathlib.Path) -> None:
    target = stored / "report.html"
    loaded = loaded_by("report", "--since", "3650d", "--html", str(target))
    assert "matplotlib" in loaded and "socialwatch.report.charts" in loaded
    assert target.read_text(encoding="utf-8").count("data:image/png;base64,") == 7


def test_the_cli_spells_the_report_dimensions_as_the_report_does() -> None:
    from socialwatch.commands.report import DIMENSIONS
    from socialwatch.report import kpi

    assert DIMENSIONS == kpi.DIMENSIONS


@pytest.mark.parametrize("package", ["report", "csat", "commands"])
def test_report_csat_and_command_modules_stay_small(package: str) -> None:
    sizes = {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
             for p in sorted((PACKAGE / package).rglob("*.py"))}
    assert len(sizes) > 2, sizes
    assert not {name: n for name, n in sizes.items() if n > MAX_LINES}, sizes


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_imports(path: pathlib.Path, modules: set[str]) -> set[str]:
    """The socialwatch modules `path` imports when it is imported (not those imported inside functions)."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for n in ast.walk(node) if isinstance(node, (ast.If, ast.Try)) else [node]:
            if isinstance(n, ast.Import):
                found |= {a.name for a in n.names if a.name in modules}
            elif isinstance(n, ast.ImportFrom):
                base = n.module or ""
                if n.level:
                    base = ".".join(package[: len(package) - n.level + 1] + ([base] if base else []))
                for a in n.names:
                    full = f"{base}.{a.name}"
                    found |= {full} if full in modules else {base} & modules
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of an import graph (module -> modules it imports at load time), each as a path."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append(trail[trail.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, [*trail, dep])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    return cycles


def test_no_import_cycles() -> None:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _module_level_imports(path, set(paths)) for name, path in paths.items()}
    assert "socialwatch.report.kpi.facts" in graph["socialwatch.report.kpi"]  # the walk sees the imports
    assert import_cycles(graph) == []
