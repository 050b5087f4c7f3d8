"""`socialwatch init`: a starter config and the data directory, owner-only."""

from __future__ import annotations

import os
import pathlib
from importlib import resources

from socialwatch import paths
from socialwatch.store.files import atomic_write


def starter_config() -> str:
    """The starter config shipped with the package (a demo source and the outbox responder)."""
    return resources.files("socialwatch").joinpath("starter.toml").read_text(encoding="utf-8")


def init_home(config_path: str | None, force: bool = False) -> tuple[pathlib.Path, pathlib.Path, bool]:
    """Write the starter config (0600) unless one exists, and create the data directory (0700).

    Returns (config path, data directory, whether the config was written).
    """
    path = pathlib.Path(config_path) if config_path else paths.default_config_path()
    paths.ensure_private_dir(path.parent)
    written = False
    if force or not path.exists():
        if path.exists():
            os.replace(path, path.with_suffix(path.suffix + ".bak"))
        atomic_write(path, starter_config().encode("utf-8"))
        written = True
    from socialwatch.config import load

    config = load(path)
    try:
        paths.ensure_private_dir(config.data_dir)
    except OSError as exc:
        from socialwatch.errors import ConfigError

        raise ConfigError(f"cannot create the data directory {config.data_dir}: {exc.strerror or exc}",
                          path=str(path), key="store.path") from None
    from socialwatch import templates

    saved = templates.path_for(config.config_dir)
    if not saved.exists():
        atomic_write(saved, templates.STARTER.encode("utf-8"))
    return path, config.data_dir, written
