"""`socialwatch db`: the PostgreSQL schema (`upgrade`, `status`) and moving a store between
backends (`migrate`). Thin: the work is in `store.postgres` and `store.migrate`."""

from __future__ import annotations

import sys
from typing import Any

import click

BACKENDS = ("tinydb", "postgres")


def _url(app: Any, url: str | None) -> str:
    """The PostgreSQL URL: --url (a "$NAME" is read from the environment), else `[store] url`."""
    from socialwatch.errors import UsageError

    value = url or app.config.table("store").get("url")
    if not value:
        raise UsageError('no PostgreSQL URL: set [store] url = "$DATABASE_URL" in the config or pass --url \'$NAME\'')
    return app.config.resolve_value(value, "--url" if url else "store.url")


def _store(app: Any, backend: str, url: str | None, path: str | None) -> Any:
    import pathlib

    from socialwatch.store import open_store

    if backend == "postgres":
        from socialwatch.store.postgres import PgStore

        return PgStore(_url(app, url))
    return open_store(pathlib.Path(path) if path else app.config.data_dir)


@click.group("db")
def db() -> None:
    """The store's database: schema upgrades, status and migration between backends."""


@db.command("upgrade")
@click.option("--url", metavar="URL|$NAME", help="PostgreSQL URL (default: [store] url). Prefer '$NAME' to keep the password off the command line.")
@click.pass_obj
def upgrade_cmd(state: Any, url: str | None) -> None:
    """Create or upgrade socialwatch's schema in PostgreSQL (safe to run again)."""
    from socialwatch.store.postgres import masked_url, upgrade

    target = _url(state.app, url)
    before, after = upgrade(target)
    if before == after:
        click.echo(f"{masked_url(target)}: schema already at version {after}", err=True)
    else:
        click.echo(f"{masked_url(target)}: schema upgraded from version {before or 0} to {after}", err=True)


@db.command("status")
@click.option("--url", metavar="URL|$NAME", help="PostgreSQL URL (default: the configured store).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status_cmd(state: Any, url: str | None, as_json: bool) -> None:
    """Where the store is, its schema version and how many mentions it holds."""
    from socialwatch.output import json_line

    app = state.app
    store = _store(app, "postgres", url, None) if url else app.store
    info: dict[str, Any] = {"backend": store.backend, "where": store.describe(), **store.count()}
    if store.backend == "postgres":
        from socialwatch.store.postgres.schema import SCHEMA_VERSION

        info["schema_version"] = SCHEMA_VERSION
    if as_json:
        json_line(info)
        return
    for key, value in info.items():
        click.echo(f"{key}: {value}")


@db.command("migrate")
@click.option("--from", "source", type=click.Choice(BACKENDS), required=True, help="The backend to copy from.")
@click.option("--to", "target", type=click.Choice(BACKENDS), required=True, help="The backend to copy into.")
@click.option("--url", metavar="URL|$NAME", help="PostgreSQL URL (default: [store] url).")
@click.option("--path", metavar="DIR", type=click.Path(file_okay=False), help="TinyDB data directory (default: the configured one).")
@click.option("--json", "as_json", is_flag=True, help="Print the migration report as one JSON object.")
@click.pass_obj
def migrate_cmd(state: Any, source: str, target: str, url: str | None, path: str | None, as_json: bool) -> None:
    """Copy everything (mentions, archive, cursors, outbox, audit) from one backend to the other,
    in batches, then verify counts and ids. Safe to run again after an interruption. Stop the
    daemon and agents first, then switch `[store] backend`."""
    from dataclasses import asdict

    from socialwatch.errors import UsageError
    from socialwatch.output import is_tty, json_line
    from socialwatch.store.migrate import migrate

    if source == target:
        raise UsageError("--from and --to name the same backend")
    app = state.app
    src = _store(app, source, url, path)
    dst = _store(app, target, url, path)
    total = sum(src.count().values())
    if is_tty(sys.stderr):
        with click.progressbar(length=total, label=f"Copying {total:,} mentions", file=sys.stderr) as bar:
            report = migrate(src, dst, bar.update)
    else:
        report = migrate(src, dst)
    src.close()
    dst.close()
    if as_json:
        json_line(asdict(report))
        return
    click.echo(f"Copied {report.copied:,} mentions ({report.mentions - report.copied - report.updated:,} already there, "
               f"{report.updated:,} brought up to date), {report.state} state documents, {report.replies} replies, "
               f"{report.audit:,} audit entries; verified {report.verified['mentions']:,} mentions "
               f"({report.verified['open']:,} open), ids identical.", err=True)
