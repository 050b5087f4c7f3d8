"""The TOML configuration: loading, validation and "$ENV" secrets.

One file (`socialwatch.toml`), read with tomllib. Secrets are never written in it: a string
value `"$NAME"` or `"${NAME}"` is read from the environment when it is used (`resolve`), and
a missing variable is a configuration error naming the variable and the key, never the value.

Every error is a `ConfigError` naming the file and the key (exit status 2).
"""

from __future__ import annotations

import os
import pathlib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from typing import Any

from socialwatch import paths
from socialwatch.errors import ConfigError

#: keys holding a database URL: only its password is a secret (see secrets.register_dsn)
DSN_KEYS = ("store.url", "--url")

ENV_REF = re.compile(r"^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$")

#: top-level tables and their expected types
TOP_LEVEL: dict[str, type] = {
    "brand": dict,
    "agent": dict,
    "store": dict,
    "sources": dict,
    "responders": dict,
    "scoring": dict,
    "routing": list,
    "sla": dict,
    "alerts": dict,
    "templates": dict,
    "daemon": dict,
    "export": dict,
    "triage": dict,
    "csat": dict,
}

STORE_KEYS: dict[str, Any] = {"backend": str, "path": str, "url": str, "pool_size": int}
BRAND_KEYS: dict[str, Any] = {"name": str, "handles": list, "keywords": list, "exclusions": list}
ROUTING_KEYS: dict[str, Any] = {
    "name": str,
    "keywords": list,
    "sources": list,
    "platforms": list,
    "kinds": list,
    "angry": bool,
    "viral": bool,
    "min_priority": int,
    "needs_response": bool,
    "complaint": bool,
    "language": list,
    "intent": list,
    "risk": list,
    "tags": list,
    "team": str,
    "boost": int,
}
#: The values routing rules may name in `intent` and `risk` (risk also takes the group "vulnerability").
INTENTS = ("complaint", "question", "request", "feedback", "praise", "other")
RISKS = ("fraud", "account_takeover", "safety", "elderly", "disabled", "bereavement", "medical", "legal", "press",
         "vulnerability")


def env_name(value: Any) -> str | None:
    """The variable name when `value` is an "$NAME"/"${NAME}" reference, else None."""
    if not isinstance(value, str):
        return None
    m = ENV_REF.match(value.strip())
    return (m.group(1) or m.group(2)) if m else None


@dataclass
class Config:
    """A loaded, validated configuration. Tables keep their "$ENV" references unresolved."""

    path: pathlib.Path
    data: dict = field(default_factory=dict)

    # ---- tables -------------------------------------------------------------------------
    @property
    def brand(self) -> dict:
        return self.data.get("brand", {})

    @property
    def sources(self) -> dict[str, dict]:
        return self.data.get("sources", {})

    @property
    def responders(self) -> dict[str, dict]:
        return self.data.get("responders", {})

    @property
    def scoring(self) -> dict:
        return self.data.get("scoring", {})

    @property
    def routing(self) -> list[dict]:
        return self.data.get("routing", [])

    def table(self, name: str) -> dict:
        return self.data.get(name, {})

    @property
    def data_dir(self) -> pathlib.Path:
        value = self.data.get("store", {}).get("path")
        if value:
            p = pathlib.Path(os.path.expanduser(str(value)))
            return p if p.is_absolute() else self.path.parent / p
        return paths.default_data_dir()

    @property
    def config_dir(self) -> pathlib.Path:
        return self.path.parent

    @property
    def agent(self) -> str:
        """The agent's name: `[agent] name`, else $SOCIALWATCH_AGENT, else the login name."""
        name = self.data.get("agent", {}).get("name")
        if name:
            return str(self.resolve_value(name, "agent.name"))
        env = os.environ.get("SOCIALWATCH_AGENT")
        if env:
            return env
        try:
            import getpass

            return getpass.getuser()
        except Exception:
            return "agent"

    def enabled_sources(self) -> dict[str, dict]:
        return {n: t for n, t in self.sources.items() if t.get("enabled", True)}

    # ---- secrets --------------------------------------------------------------------------
    def resolve_value(self, value: Any, key: str) -> Any:
        """Replace an "$NAME" reference by the environment's value (ConfigError if unset).

        The value is registered for masking; a database URL (`store.url`, `--url`) by its
        password only, so that messages still say which server and database they are about.
        """
        name = env_name(value)
        if name is None:
            return value
        resolved = os.environ.get(name)
        if resolved is None or resolved == "":
            raise ConfigError(f"environment variable {name} is not set", path=str(self.path), key=key)
        from socialwatch import secrets

        if key in DSN_KEYS:
            secrets.register_dsn(resolved)
        else:
            secrets.register(resolved)
        return resolved

    def resolve(self, table: dict, where: str) -> dict:
        """A copy of `table` with every "$NAME" value (also inside lists/tables) resolved."""

        def walk(value: Any, key: str) -> Any:
            if isinstance(value, dict):
                return {k: walk(v, f"{key}.{k}") for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v, f"{key}[{i}]") for i, v in enumerate(value)]
            return self.resolve_value(value, key)

        return walk(table, where)

    def secret_values(self) -> list[str]:
        """Every resolved secret value currently in the environment, for masking."""
        found: list[str] = []

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            else:
                name = env_name(value)
                if name and os.environ.get(name):
                    found.append(os.environ[name])

        walk(self.data)
        return [s for s in found if len(s) >= 4]


def load(path: pathlib.Path | str | None = None) -> Config:
    """Load and validate the config file (default: `paths.default_config_path()`)."""
    p = pathlib.Path(path) if path else paths.default_config_path()
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        hint = "" if path else " (run `socialwatch init` to write a starter config)"
        raise ConfigError(f"config file not found{hint}", path=str(p)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read the config file: {exc.strerror}", path=str(p)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError("the config file is not UTF-8 text", path=str(p)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML syntax error: {exc}", path=str(p)) from None
    config = Config(path=p, data=data)
    validate(config)
    _warn_literal_secrets(config)
    return config


SECRET_KEY = re.compile(r"(token|secret|password|passwd|api_key|apikey|bearer|private_key|credential|url)$", re.I)


def literal_secrets(data: dict, where: str = "") -> list[str]:
    """Keys that look like secrets but hold a literal value instead of an "$ENV" reference."""
    found = []
    for key, value in data.items():
        name = f"{where}.{key}" if where else key
        if isinstance(value, dict):
            found += literal_secrets(value, name)
        elif isinstance(value, str) and value and SECRET_KEY.search(key) and env_name(value) is None:
            if key.lower().endswith("url") and "@" not in value:
                continue  # a URL is a secret only when it carries credentials
            found.append(name)
    return found


def _warn_literal_secrets(config: Config) -> None:
    try:
        mode = config.path.stat().st_mode
    except OSError:
        return
    if not mode & 0o077:
        return
    keys = literal_secrets(config.data)
    if keys:
        warn(f"{config.path} holds a literal secret ({', '.join(keys[:3])}) and is readable by other users: "
             f'run `chmod 600 {config.path}`, or better, put the value in the environment and write "$NAME"')


def validate(config: Config) -> None:
    """Check the shape of every table; raise ConfigError naming the file and key."""
    path = str(config.path)
    data = config.data
    for key, value in data.items():
        want = TOP_LEVEL.get(key)
        if want is None:
            warn(f"{path}: unknown top-level key {key!r} is ignored")
            continue
        if not isinstance(value, want):
            raise ConfigError(f"expected a {'table' if want is dict else 'list of tables'}", path=path, key=key)
    _check_keys(data.get("brand", {}), BRAND_KEYS, "brand", path)
    for k in ("handles", "keywords", "exclusions"):
        value = data.get("brand", {}).get(k, [])
        if not all(isinstance(v, str) for v in value):
            raise ConfigError("expected a list of strings", path=path, key=f"brand.{k}")
    agents = data.get("triage", {}).get("agents", [])
    if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
        raise ConfigError("expected a list of agent names", path=path, key="triage.agents")
    _validate_sources(config)
    _validate_responders(config)
    for i, rule in enumerate(data.get("routing", [])):
        if not isinstance(rule, dict):
            raise ConfigError("expected a table ([[routing]])", path=path, key=f"routing[{i}]")
        _check_keys(rule, ROUTING_KEYS, f"routing[{i}]", path)
        for key, allowed in (("language", None), ("intent", INTENTS), ("risk", RISKS)):
            values = rule.get(key, [])
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise ConfigError("expected a list of strings", path=path, key=f"routing[{i}].{key}")
            if key == "language":
                from socialwatch.scoring.langnames import code_hint, is_code

                bad = [v for v in values if not is_code(v)]
                if bad:
                    raise ConfigError(f"{bad[0]!r} is not a language code: {code_hint(bad[0])}", path=path,
                                      key=f"routing[{i}].{key}")
            unknown = [v for v in values if allowed is not None and v not in allowed]
            if unknown:
                raise ConfigError(f"unknown {key} {unknown[0]!r} (known: {', '.join(allowed)})", path=path,
                                  key=f"routing[{i}].{key}")
    store = data.get("store", {})
    if not isinstance(store, dict):
        raise ConfigError("expected a table", path=path, key="store")
    _check_keys(store, STORE_KEYS, "store", path)
    backend = store.get("backend", "tinydb")
    if backend not in ("tinydb", "postgres"):
        raise ConfigError(f"unknown store backend {backend!r} (known: tinydb, postgres)", path=path, key="store.backend")
    if backend == "postgres":
        if "url" not in store:
            raise ConfigError('missing required key `url` (for example url = "$DATABASE_URL")', path=path, key="store.url")
        if env_name(store["url"]) is None and re.search(r"://[^/@\s]*:[^/@\s]*@|password\s*=", store["url"]):
            warn(f"{path}: store.url holds a password: write url = \"$DATABASE_URL\" and set it in the environment")
    if "pool_size" in store and (not isinstance(store["pool_size"], int) or isinstance(store["pool_size"], bool)
                                 or store["pool_size"] < 1):
        raise ConfigError("expected a whole number >= 1", path=path, key="store.pool_size")
    if "path" in store and not isinstance(store["path"], str):
        raise ConfigError("expected a string", path=path, key="store.path")
    if "sla" in data:
        from socialwatch.sla import policy

        policy(data["sla"], path)
    # [scoring] is checked by scoring.Scorer when a command scores (it needs VADER loaded).


def _validate_sources(config: Config) -> None:
    from socialwatch.model import parse_duration
    from socialwatch.sources import BUILTIN, known_types

    path = str(config.path)
    types = None
    for name, table in config.sources.items():
        key = f"sources.{name}"
        if not isinstance(table, dict):
            raise ConfigError("expected a table", path=path, key=key)
        kind = table.get("type")
        if kind is None:
            raise ConfigError("missing required key `type`", path=path, key=f"{key}.type")
        if not isinstance(kind, str):
            raise ConfigError("expected a string", path=path, key=f"{key}.type")
        if kind not in BUILTIN:  # entry points are scanned only for a plugin's type (slow to list)
            types = types or known_types()
        if kind not in BUILTIN and kind not in (types or ()):
            raise ConfigError(f"unknown source type {kind!r} (known: {', '.join(types)})", path=path, key=f"{key}.type")
        for dkey in ("interval", "lookback"):
            if dkey in table:
                try:
                    parse_duration(table[dkey])
                except ValueError as exc:
                    raise ConfigError(str(exc), path=path, key=f"{key}.{dkey}") from None
        if "enabled" in table and not isinstance(table["enabled"], bool):
            raise ConfigError("expected true or false", path=path, key=f"{key}.enabled")
        responder = table.get("responder")
        if responder is not None and responder not in config.responders:
            raise ConfigError(f"no responder named {responder!r} in [responders]", path=path, key=f"{key}.responder")


def _validate_responders(config: Config) -> None:
    path = str(config.path)
    for name, table in config.responders.items():
        key = f"responders.{name}"
        if not isinstance(table, dict):
            raise ConfigError("expected a table", path=path, key=key)
        kind = table.get("type")
        if not isinstance(kind, str):
            raise ConfigError("missing required key `type` (a string)", path=path, key=f"{key}.type")


def _check_keys(table: dict, spec: dict, where: str, path: str) -> None:
    for key, value in table.items():
        want = spec.get(key)
        if want is None:
            warn(f"{path}: unknown key {where}.{key} is ignored")
            continue
        if isinstance(value, bool) and want is not bool:
            raise ConfigError(f"expected {want.__name__}, got a boolean", path=path, key=f"{where}.{key}")
        if not isinstance(value, want):
            raise ConfigError(f"expected {want.__name__}, got {type(value).__name__}", path=path, key=f"{where}.{key}")


def warn(message: str) -> None:
    print(f"Warning: {message}", file=sys.stderr)
