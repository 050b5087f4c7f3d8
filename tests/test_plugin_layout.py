"""The shape of the source and responder plugins: packages of small modules, no import cycles, lazy SDKs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_report_layout import MAX_LINES, PACKAGE, ROOT, _module_level_imports, _module_name, import_cycles

#: The plugins that grew into packages (each was one module of 470 to 1300 lines).
PACKAGES = ["sources/bluesky", "sources/twitter", "sources/mastodon", "sources/reddit", "responders/bluesky",
            "responders/twitter", "responders/reddit", "responders/mastodon"]
#: plugin module -> the platform SDKs it must not import when it is imported (only when it is used)
SDKS = {
    "socialwatch.sources.bluesky": ["atproto", "atproto_client", "httpx"],
    "socialwatch.sources.twitter": ["tweepy", "requests"],
    "socialwatch.sources.mastodon": ["mastodon", "requests"],
    "socialwatch.sources.reddit": ["praw", "prawcore"],
    "socialwatch.responders.bluesky": ["atproto", "atproto_client", "httpx"],
    "socialwatch.responders.twitter": ["tweepy", "requests"],
    "socialwatch.responders.mastodon": ["mastodon", "requests"],
    "socialwatch.responders.reddit": ["praw", "prawcore"],
}


def _sizes(folder: str) -> dict[str, int]:
    return {str(p.relative_to(PACKAGE)): len(p.read_text(encoding="utf-8").splitlines())
            for p in sorted((PACKAGE / folder).rglob("*.py"))}


@pytest.mark.parametrize("package", PACKAGES)
def test_split_plugin_modules_stay_small(package: str) -> None:
    sizes = _sizes(package)
    assert (PACKAGE / package / "__init__.py").exists() and len(sizes) > 2, sizes
    assert not {name: n for name, n in sizes.items() if n > MAX_LINES}, sizes


@pytest.mark.parametrize("folder", ["sources", "responders"])
def test_no_plugin_module_is_large(folder: str) -> None:
    sizes = _sizes(folder)
    assert not {name: n for name, n in sizes.items() if n > MAX_LINES}, sizes


def test_plugin_modules_import_no_cycle() -> None:
    paths = {_module_name(p): p for folder in ("sources", "responders") for p in (PACKAGE / folder).rglob("*.py")}
    everything = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    graph = {name: _module_level_imports(path, everything) & set(paths) for name, path in paths.items()}
    assert "socialwatch.sources.bluesky.source" in graph["socialwatch.sources.bluesky"]  # the walk sees the imports
    assert import_cycles(graph) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_the_package_exports_what_it_lists(package: str) -> None:
    import importlib

    module = importlib.import_module("socialwatch." + package.replace("/", "."))
    assert module.__all__ and not [name for name in module.__all__ if not hasattr(module, name)]


def test_importing_a_plugin_imports_no_platform_sdk() -> None:
    code = ("import sys\n"
            f"for module, sdks in {SDKS!r}.items():\n"
            "    __import__(module)\n"
            "    loaded = [s for s in sdks if s in sys.modules]\n"
            "    print(module, loaded) if loaded else None\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == ""
