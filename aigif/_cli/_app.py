"""The ``aigif`` typer apps, on which every command module registers its commands at import.

``app`` is the ``aigif`` command, ``conformance_app`` its ``aigif conformance`` group and
``models_app`` its ``aigif models`` group. A module adds a command with ``@app.command()`` (or
``@conformance_app.command()``, ``@models_app.command()``) at module level; the
package's ``__init__`` imports the modules, so that the commands exist before ``main`` runs.
Nothing heavy is imported here, nor at the top of any command module: torch, diffusers, Pillow
and the conformance runner are imported inside the commands that need them.
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

from .. import __version__

try:  # typer >= 0.22 ships its own copy of click; older releases use click itself
    from typer._click import exceptions as click_errors
    from typer._click.globals import get_current_context
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors
    from click.globals import get_current_context


class BadUsage(click_errors.UsageError):
    """Bad usage found by a command itself (options that contradict each other, a value that cannot
    be used): exit status 2 and one ``aigif: usage error: ... [code]`` line, like typer's own."""

    def __init__(self, message: str, code: str = "invalid-value"):
        super().__init__(message, ctx=get_current_context(silent=True))
        self.code = code


class _PlainArgument(TyperArgument):
    """An argument shown by its metavar alone (``FILE...``), not ``{FILE} <list[str]>``."""

    def display_type_rich(self, ctx) -> None:
        return None

    def _rich_display_name(self) -> str:
        return self.display_name_raw + ("..." if self.nargs != 1 else "")

    def _usage_display_name(self) -> str:
        name = self._rich_display_name()
        return name if self.required else f"[{name}]"


class PlainCommand(TyperCommand):
    """A command whose help shows plain metavars: arguments as ``FILE...``, and an option without an
    explicit metavar by its kind (``TEXT``, ``INTEGER``, ``PATH``), never a Python type."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is TyperArgument:
                param.__class__ = _PlainArgument  # same fields; only how it is shown changes
            elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
                param.metavar = _KINDS.get(param.type.name, param.type.name.upper())


_KINDS = {"text": "TEXT", "integer": "INTEGER", "float": "NUMBER", "path": "PATH", "boolean": "BOOLEAN"}


class _Typer(typer.Typer):
    """A ``typer.Typer`` whose commands are ``PlainCommand`` unless told otherwise."""

    def command(self, name: Optional[str] = None, **options):
        options.setdefault("cls", PlainCommand)
        return super().command(name, **options)


def _settings(**options) -> dict:
    return dict(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
                **options)


app = _Typer(**_settings(name="aigif", help="Store AI-generated images as their generation syntax (AIGIF v1)."))
conformance_app = _Typer(**_settings(name="conformance", help="Test an AIGIF reader against the conformance suite."))
app.add_typer(conformance_app, name="conformance")
models_app = _Typer(**_settings(name="models", help="Index the model files on this machine and find those an "
                                                    "AIGIF file names."))
app.add_typer(models_app, name="models")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"aigif {__version__} (AIGIF format version 1)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Show the version and exit."),
) -> None:
    """Store AI-generated images as their generation syntax (AIGIF v1)."""
