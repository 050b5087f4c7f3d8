"""Where socialwatch keeps its configuration and data.

`SOCIALWATCH_HOME` (when set) holds everything: `socialwatch.toml`, `templates/` and `data/`.
Otherwise the platform's user config and data directories are used (platformdirs).
`--config PATH` overrides the config file; the data directory can be set in the config
(`[store] path`), relative paths being taken from the config file's folder.
"""

from __future__ import annotations

import os
import pathlib

APP = "socialwatch"
CONFIG_NAME = "socialwatch.toml"


def home() -> pathlib.Path | None:
    value = os.environ.get("SOCIALWATCH_HOME")
    return pathlib.Path(value).expanduser() if value else None


def config_dir() -> pathlib.Path:
    h = home()
    if h is not None:
        return h
    import platformdirs

    return pathlib.Path(platformdirs.user_config_dir(APP))


def default_config_path() -> pathlib.Path:
    return config_dir() / CONFIG_NAME


def default_data_dir() -> pathlib.Path:
    h = home()
    if h is not None:
        return h / "data"
    import platformdirs

    return pathlib.Path(platformdirs.user_data_dir(APP))


def ensure_private_dir(path: pathlib.Path) -> pathlib.Path:
    """Create `path` (and parents) with owner-only permissions (0700) for the leaf."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        if path.stat().st_mode & 0o077:
            path.chmod(0o700)
    except OSError:
        pass
    return path
