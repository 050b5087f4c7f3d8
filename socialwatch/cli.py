"""The `socialwatch` command line: parses arguments and prints; the work lives in the library.

Exit statuses: 0 ok, 1 failure, 2 usage or configuration error. Errors are one line on stderr
starting with "Error:"; `--traceback` shows the Python traceback as well.

Only click is imported at start-up; each command imports what it needs, so `--help` and
`triage` never load the platform libraries.
"""

from __future__ import annotations

import os
import sys

import click

from socialwatch import __version__
from socialwatch.commands.common import State
from socialwatch.errors import SocialwatchError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.option("--config", "-c", "config", metavar="PATH", envvar="SOCIALWATCH_CONFIG", help="Config file (default: $SOCIALWATCH_HOME/socialwatch.toml).")
@click.option("--as", "agent", metavar="AGENT", help="Act as this agent (default: [agent] name, $SOCIALWATCH_AGENT or the login name).")
@click.option("--traceback", is_flag=True, help="Show the Python traceback of an error.")
@click.version_option(__version__, prog_name="socialwatch")
@click.pass_context
def cli(ctx: click.Context, config: str | None, agent: str | None, traceback: bool) -> None:
    """Monitor brand mentions on social platforms, triage them and reply.

    \b
    Start with:
      socialwatch init        write a starter config (demo source)
      socialwatch poll        fetch, score and store new mentions
      socialwatch triage      work the queue, highest priority first

    Exit status: 0 ok, 1 failure, 2 usage or configuration error.
    """
    ctx.obj = State(config, agent, traceback)


def _add_commands() -> None:
    from socialwatch.commands import csat, db, export, ops, queue, reply, report, workflow

    for module in (ops, queue, reply, workflow, export):
        for command in module.COMMANDS:
            cli.add_command(command)
    cli.add_command(report.report)
    cli.add_command(db.db)
    cli.add_command(csat.csat_cmd)


_add_commands()


# ---- entry point --------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    """Run the CLI, turning errors into one line and an exit status."""
    args = sys.argv[1:] if argv is None else argv
    show_traceback = "--traceback" in args or os.environ.get("SOCIALWATCH_TRACEBACK") == "1"
    try:
        rv = cli.main(args=args, prog_name="socialwatch", standalone_mode=False)
        sys.exit(rv if isinstance(rv, int) else 0)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except SocialwatchError as exc:
        _fail(str(exc), exc.exit_code, show_traceback)
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _quiet_broken_pipe()
    except Exception as exc:  # the last line of defence: one line, no traceback
        _fail(f"unexpected {type(exc).__name__}: {exc} (run with --traceback for details)", 1, show_traceback)


def _fail(message: str, code: int, show_traceback: bool) -> None:
    from socialwatch.secrets import mask

    if show_traceback:
        import traceback

        click.echo(mask(traceback.format_exc()), err=True)
    click.echo(f"Error: {mask(message)}", err=True)
    sys.exit(code)


def _quiet_broken_pipe() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    sys.exit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
