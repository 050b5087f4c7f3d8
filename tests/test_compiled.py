"""The ingest hot path compiled by Cython (setup.py, `socialwatch.compiled`): it behaves exactly as
the Python it is compiled from, and a source checkout never runs a compiled copy older than its .py."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES

import pytest

from socialwatch import compiled
from socialwatch.compiled import MODULES, FreshSources
from tests.test_scoring import ground_truth, twcs_rows

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = pathlib.Path(compiled.__file__).resolve().parent

# Prepares the mentions of a JSONL file as an import does, at a fixed clock, and prints what the
# store would be given (each mention's encoded row), after the list of modules that ran compiled.
PREPARE = r"""
import sys
from socialwatch import compiled, importer, model
from socialwatch.app import App
from socialwatch.sources.file import Item
app = App()
app.scorer.workers = 1
importer._WORKER.update({"scorer": app.scorer, "rules": app.rules, "platform": "file", "source": "import",
                         "now": model.parse_time("2026-12-04T12:00:00Z"), "codec": app.store.row_codec})
with open(sys.argv[1], encoding="utf-8") as fh:
    items = [Item(i + 1, raw=line) for i, line in enumerate(fh)]
out = [" ".join(compiled.running_compiled()).encode()]
for k in range(0, len(items), 125):
    for item, prepared, error in importer._prepare_group(items[k:k + 125]):
        out.append(prepared.row.json if prepared is not None else repr(error).encode())
sys.stdout.buffer.write(b"\n".join(out))
"""


@pytest.fixture(scope="module")
def mentions_file(tmp_path_factory) -> pathlib.Path:
    """Mentions of three corpora: VADER's texts (every fourth), customer-support tweets with reach
    and replies, the demo's mentions, and one with a number for its text (refused)."""
    fixtures = ROOT / "tests" / "fixtures"
    recs = []
    for path in sorted((fixtures / "vader").glob("*_GroundTruth.txt")):
        for i, (_, text) in enumerate(ground_truth(path)[::4]):
            recs.append({"id": f"file:{path.name[:4]}{i}", "text": text, "author": {"handle": f"u{i % 97}"},
                         "created_at": "2026-12-04T10:00:00Z"})
    for i, row in enumerate(twcs_rows(fixtures / "twcs" / "twcs.csv").values()):
        recs.append({"id": f"file:t{i}", "text": row["text"], "created_at": "2026-12-03T10:00:00Z",
                     "author": {"handle": row.get("author_id") or "x", "followers": i * 37 % 50000},
                     "metrics": {"likes": i % 300, "reposts": i % 70},
                     "in_reply_to": row.get("in_response_to_tweet_id") or None})
    with open(PACKAGE / "sources" / "demo_mentions.jsonl", encoding="utf-8") as fh:
        recs += [{**json.loads(line), "id": f"file:d{i}"} for i, line in enumerate(fh)]
    recs.append({"id": "file:bad", "text": 7})
    path = tmp_path_factory.mktemp("compiled") / "mentions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


def _prepare(tmp_path: pathlib.Path, mentions: pathlib.Path, name: str, pythonpath: str | None) -> list[bytes]:
    env = {**os.environ, "SOCIALWATCH_HOME": str(tmp_path / name)}
    env.pop("PYTHONPATH", None)
    prefix = f"import sys; sys.path.insert(0, {pythonpath!r})\n" if pythonpath else ""  # ahead of the install
    subprocess.run([sys.executable, "-m", "socialwatch", "init"], env=env, capture_output=True, check=True)
    done = subprocess.run([sys.executable, "-c", prefix + PREPARE, str(mentions)], env=env, capture_output=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.split(b"\n")


def _python_only(tmp_path: pathlib.Path) -> pathlib.Path:
    """A copy of the package without its compiled files (a folder to put first on sys.path)."""
    folder = tmp_path / "python-only"
    shutil.copytree(PACKAGE, folder / "socialwatch",
                    ignore=shutil.ignore_patterns("__pycache__", *[f"*{s}" for s in EXTENSION_SUFFIXES]))
    return folder


def _source(module: str, root: pathlib.Path = PACKAGE.parent) -> pathlib.Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def _compiled_file(module: str, root: pathlib.Path = PACKAGE.parent) -> pathlib.Path | None:
    source = _source(module, root)
    return next((p for s in EXTENSION_SUFFIXES if (p := source.with_suffix(s)).exists()), None)


def test_the_compiled_modules_prepare_every_mention_byte_for_byte_as_their_python(tmp_path, mentions_file):
    installed = _prepare(tmp_path, mentions_file, "installed", None)
    plain = _prepare(tmp_path, mentions_file, "plain", str(_python_only(tmp_path)))

    assert plain[0] == b"", "the copy without compiled files ran compiled modules"
    built = [m for m in MODULES if _compiled_file(m)]
    stale = [m for m in built if _source(m).stat().st_mtime > _compiled_file(m).stat().st_mtime]
    assert not stale, f"edited since the build, so they run as Python: {stale} (run `pip install -e .` again)"
    assert installed[0].decode().split() == built, "a module compiled by the build did not run compiled"
    assert len(installed) == len(plain) > 9000
    assert not plain[-1].startswith(b"{"), "the mention with a number for its text was not refused"
    differ = [i for i, (a, b) in enumerate(zip(installed[1:], plain[1:], strict=True)) if a != b]
    assert not differ, f"{len(differ)} mentions differ, first: {installed[differ[0] + 1]!r} vs {plain[differ[0] + 1]!r}"


def test_a_checkout_whose_compiled_modules_are_stale_runs_and_prepares_them_as_python(tmp_path, mentions_file):
    checkout = tmp_path / "checkout"
    shutil.copytree(PACKAGE, checkout / "socialwatch", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "setup.py").write_text("")  # a source checkout
    made_stale = 0
    for module in MODULES:  # every .py edited after the build
        os.utime(_source(module, checkout))
        built = _compiled_file(module, checkout)
        if built is not None:
            os.utime(built, (1_000_000, 1_000_000))
            made_stale += 1
    assert made_stale == len([m for m in MODULES if _compiled_file(m)])

    stale = _prepare(tmp_path, mentions_file, "stale", str(checkout))

    assert stale[0] == b"", "a stale compiled module was loaded"
    assert stale == _prepare(tmp_path, mentions_file, "plain", str(_python_only(tmp_path)))


def test_every_module_the_build_compiles_is_a_module_of_the_package():
    for module in MODULES:
        assert _source(module).is_file(), module
    assert len(set(MODULES)) == len(MODULES)
    assert "Cython" in (ROOT / "pyproject.toml").read_text()


def _package(tmp_path: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    folder = tmp_path / "pkgx"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    source = folder / "mod.py"
    source.write_text("VALUE = 'from the .py'\n")
    built = folder / ("mod" + EXTENSION_SUFFIXES[0])
    built.write_bytes(b"not a real extension: loading it would fail")
    return source, built


def test_a_source_checkout_runs_an_edited_py_rather_than_its_older_compiled_copy(tmp_path):
    source, built = _package(tmp_path)
    os.utime(built, (1_000_000, 1_000_000))  # built long before the .py was edited
    finder = FreshSources(("pkgx.mod",))

    spec = finder.find_spec("pkgx.mod", [str(source.parent)])

    assert spec is not None and spec.origin == str(source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == "from the .py"
    assert module.__file__ == str(source)  # (modules find their data files beside them)


def test_a_current_compiled_copy_is_left_to_the_usual_finders(tmp_path):
    source, built = _package(tmp_path)
    os.utime(source, (1_000_000, 1_000_000))  # the .py is older than its build
    finder = FreshSources(("pkgx.mod",))

    assert finder.find_spec("pkgx.mod", [str(source.parent)]) is None
    built.unlink()
    assert finder.find_spec("pkgx.mod", [str(source.parent)]) is None  # nothing compiled: plain Python
    assert finder.find_spec("pkgx.other", [str(source.parent)]) is None  # not a compiled module: not ours


def test_the_checkout_watch_is_on_only_beside_setup_py(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if not isinstance(f, FreshSources)])
    installed = tmp_path / "site-packages" / "socialwatch"
    installed.mkdir(parents=True)
    compiled.watch_source_checkout(str(installed))
    assert not any(isinstance(f, FreshSources) for f in sys.meta_path)

    (tmp_path / "site-packages" / "setup.py").write_text("")
    compiled.watch_source_checkout(str(installed))
    compiled.watch_source_checkout(str(installed))
    assert [type(f) for f in sys.meta_path].count(FreshSources) == 1
    assert isinstance(sys.meta_path[0], FreshSources)
