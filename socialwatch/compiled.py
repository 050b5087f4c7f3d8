"""The modules that the build compiles with Cython (see setup.py), and which of them run compiled.

They are the ingest hot path: parsing, scoring, routing and encoding each mention. They stay
plain Python, so the package runs the same without a C compiler, only slower on import.

In a source checkout (an editable install), a compiled module is skipped once its .py is newer
than the build of it: what runs is always what the .py says, until `pip install -e .` compiles it
again. This module imports nothing of the package (setup.py reads `MODULES` before anything is
installed).
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec, SourceFileLoader

MODULES = (
    "socialwatch.model",
    "socialwatch.sources.file",
    "socialwatch.scoring.vader",
    "socialwatch.scoring.cues",
    "socialwatch.scoring.risk",
    "socialwatch.scoring.features",
    "socialwatch.scoring.classifier",
    "socialwatch.scoring.tone",
    "socialwatch.scoring.reasons",
    "socialwatch.scoring.priority",
    "socialwatch.scoring.scorer",
    "socialwatch.routing",
    "socialwatch.pipeline",
    "socialwatch.store.rawdoc",
    "socialwatch.importer",
)


def running_compiled() -> list[str]:
    """The modules of MODULES that run compiled in this process (importing them)."""
    import importlib

    return [name for name in MODULES if not importlib.import_module(name).__file__.endswith(".py")]


class FreshSources:
    """A finder for a source checkout: a module of MODULES whose .py is newer than its compiled
    file is loaded from the .py. It answers for nothing else (the usual finders do the rest)."""

    def __init__(self, modules: tuple[str, ...] = MODULES) -> None:
        self.modules = frozenset(modules)

    def find_spec(self, name: str, path: list[str] | None, target: object = None) -> ModuleSpec | None:
        if name not in self.modules or not path:
            return None
        leaf = name.rpartition(".")[2]
        for folder in path:
            source = os.path.join(folder, leaf + ".py")
            try:
                edited = os.stat(source).st_mtime
            except OSError:
                continue
            for suffix in EXTENSION_SUFFIXES:
                try:
                    built = os.stat(os.path.join(folder, leaf + suffix)).st_mtime
                except OSError:
                    continue
                if edited > built:
                    spec = ModuleSpec(name, SourceFileLoader(name, source), origin=source)
                    spec.has_location = True  # (__file__ and the bytecode cache, as for any .py)
                    return spec
                return None  # the compiled file is current: the usual finders load it
            return None
        return None


def watch_source_checkout(package_dir: str) -> None:
    """Put `FreshSources` first among the finders when the package runs from a source checkout
    (setup.py beside it), where the .py files change under the compiled ones."""
    if os.path.exists(os.path.join(os.path.dirname(package_dir), "setup.py")):
        if not any(isinstance(f, FreshSources) for f in sys.meta_path):
            sys.meta_path.insert(0, FreshSources())
