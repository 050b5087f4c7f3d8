"""The ingest hot path compiled by Cython (setup.py, `socialwatch.compiled`): it behaves exactly as
the Python it is compiled from, and a source checkout never runs a compiled copy older than its .py."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES

from socialwatch import compiled
from socialwatch.compiled import MODULES, FreshSources

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = pathlib.Path(compiled.__file__).resolve().parent

# Prepares mentions of three corpora (VADER's texts, customer-support tweets with reach and
# replies, the demo's mentions) as an import does, at a fixed clock, and prints what the store
# would be given (each mention's encoded row), after the list of modules that ran compiled.
PREPARE = r"""
import csv, json, os, re, sys, pathlib
fixtures = pathlib.Path(sys.argv[1])
from socialwatch import compiled, importer, model
from socialwatch.app import App
from socialwatch.sources.file import Item
app = App()
app.scorer.workers = 1
importer._WORKER.update({"scorer": app.scorer, "rules": app.rules, "platform": "file", "source": "import",
                         "now": model.parse_time("2026-12-04T12:00:00Z"), "codec": app.store.row_codec})
recs = []
for path in sorted((fixtures / "vader").glob("*_GroundTruth.txt")):
    for i, line in enumerate(re.split(r"\r?\n", path.read_text(encoding="utf-8", errors="replace"))):
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[2].strip() and i % 4 == 0:
            recs.append({"id": f"file:{path.name[:4]}{i}", "text": parts[2], "author": {"handle": f"u{i % 97}"},
                         "created_at": "2026-12-04T10:00:00Z"})
with open(fixtures / "twcs" / "twcs.csv", encoding="utf-8") as fh:
    for i, row in enumerate(csv.DictReader(fh)):
        recs.append({"id": f"file:t{i}", "text": row["text"], "created_at": "2026-12-03T10:00:00Z",
                     "author": {"handle": row.get("author_id") or "x", "followers": i * 37 % 50000},
                     "metrics": {"likes": i % 300, "reposts": i % 70},
                     "in_reply_to": row.get("in_response_to_tweet_id") or None})
for i, line in enumerate(open(pathlib.Path(importer.__file__).parent / "sources" / "demo_mentions.jsonl", encoding="utf-8")):
    d = json.loads(line); d["id"] = f"file:d{i}"; recs.append(d)
recs.append({"id": "file:bad", "text": 7})
items = [Item(i + 1, raw=json.dumps(r)) for i, r in enumerate(recs)]
out = [" ".join(compiled.running_compiled()).encode()]
for k in range(0, len(items), 125):
    for item, prepared, error in importer._prepare_group(items[k:k + 125]):
        out.append(prepared.row.json if prepared is not None else repr(error).encode())
sys.stdout.buffer.write(b"\n".join(out))
"""


def _prepare(tmp_path: pathlib.Path, name: str, pythonpath: str | None) -> list[bytes]:
    env = {**os.environ, "SOCIALWATCH_HOME": str(tmp_path / name)}
    env.pop("PYTHONPATH", None)
    prefix = f"import sys; sys.path.insert(0, {pythonpath!r})\n" if pythonpath else ""  # ahead of the install
    args = [sys.executable, "-c", prefix + PREPARE, str(ROOT / "tests" / "fixtures")]
    subprocess.run([sys.executable, "-m", "socialwatch", "init"], env=env, capture_output=True, check=True)
    done = subprocess.run(args, env=env, capture_output=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return done.stdout.split(b"\n")


def test_the_compiled_modules_prepare_every_mention_byte_for_byte_as_their_python(tmp_path):
    installed = _prepare(tmp_path, "installed", None)
    python_only = tmp_path / "python-only"
    shutil.copytree(PACKAGE, python_only / "socialwatch",
                    ignore=shutil.ignore_patterns("__pycache__", *[f"*{s}" for s in EXTENSION_SUFFIXES]))
    plain = _prepare(tmp_path, "plain", str(python_only))

    assert plain[0] == b"", "the copy without compiled files ran compiled modules"
    built = [m for m in MODULES if _compiled_file(m)]
    stale = [m for m in built if _source(m).stat().st_mtime > _compiled_file(m).stat().st_mtime]
    assert not stale, f"edited since the build, so they run as Python: {stale} (run `pip install -e .` again)"
    assert installed[0].decode().split() == built, "a module compiled by the build did not run compiled"
    assert len(installed) == len(plain) > 9000
    assert not plain[-1].startswith(b"{"), "the mention with a number for its text was not refused"
    differ = [i for i, (a, b) in enumerate(zip(installed[1:], plain[1:], strict=True)) if a != b]
    assert not differ, f"{len(differ)} mentions differ, first: {installed[differ[0] + 1]!r} vs {plain[differ[0] + 1]!r}"


def test_a_checkout_whose_compiled_modules_are_stale_runs_and_prepares_them_as_python(tmp_path):
    checkout = tmp_path / "checkout"
    shutil.copytree(PACKAGE, checkout / "socialwatch", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "setup.py").write_text("")  # a source checkout
    made_stale = 0
    for module in MODULES:  # every .py edited after the build
        os.utime(checkout.joinpath(*module.split(".")).with_suffix(".py"))
        for built in checkout.joinpath(*module.split(".")[:-1]).glob(module.rpartition(".")[2] + ".*.so"):
            os.utime(built, (1_000_000, 1_000_000))
            made_stale += 1
    assert made_stale == len([m for m in MODULES if _compiled_file(m)])

    stale = _prepare(tmp_path, "stale", str(checkout))
    plain = tmp_path / "python-only"
    shutil.copytree(PACKAGE, plain / "socialwatch",
                    ignore=shutil.ignore_patterns("__pycache__", *[f"*{s}" for s in EXTENSION_SUFFIXES]))

    assert stale[0] == b"", "a stale compiled module was loaded"
    assert stale == _prepare(tmp_path, "plain", str(plain))


def _source(module: str) -> pathlib.Path:
    return PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")


def _compiled_file(module: str) -> pathlib.Path | None:
    folder = PACKAGE.parent.joinpath(*module.split(".")[:-1])
    leaf = module.rpartition(".")[2]
    return next((folder / (leaf + s) for s in EXTENSION_SUFFIXES if (folder / (leaf + s)).exists()), None)


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
