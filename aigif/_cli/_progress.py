"""Progress on standard error, and only when standard error is a terminal: standard output stays
clean for ``--json`` and pipes, and a log gets no bar at all.

``files(...)`` counts the files of a batch; ``steps(...)`` shows the diffusion steps of one
generation (``step 3/20``), fed by the pipeline's per-step callback. Both can show the steps: call
the object with ``(step, total)``.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)

from ._text import plain


class Bar:
    """A transient rich progress display with one task; ``update``/``advance`` it, or call it with
    ``(step, total)`` from a pipeline to show the steps of the current image."""

    def __init__(self, description: str, total: int | None, *columns, console: Console | None = None,
                 disable: bool = False):
        self.console = console or Console(stderr=True, highlight=False)
        self.progress = Progress(*columns, console=self.console, transient=True,
                                 disable=disable or not self.console.is_terminal)
        self.description, self.total = plain(description).plain, total
        self.task = None

    def __enter__(self) -> Bar:
        self.progress.__enter__()
        self.task = self.progress.add_task(self.description, total=self.total, steps="", failed=0)
        return self

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)

    def update(self, **fields) -> None:
        if "description" in fields:  # a file's name, perhaps: never markup, never a control character
            fields["description"] = plain(fields["description"]).plain
        self.progress.update(self.task, **fields)

    def advance(self, **fields) -> None:
        self.progress.update(self.task, advance=1, steps="", **fields)

    def __call__(self, step: int, total: int) -> None:
        """The pipeline's per-step callback: ``step`` of ``total`` done."""
        self.progress.update(self.task, steps=f"step {step}/{total}")


def files(description: str, total: int, *, console: Console | None = None, disable: bool = False,
          failures: bool = False) -> Bar:
    """``description ━━━━━━━ 2/5 0:00:12 step 7/20`` for a batch of files."""
    columns = [TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("{task.fields[steps]}", markup=False)]
    if failures:
        columns.append(TextColumn("{task.fields[failed]} failed"))
    return Bar(description, total, *columns, console=console, disable=disable)


class _Steps(Bar):
    def __call__(self, step: int, total: int) -> None:
        self.progress.update(self.task, completed=step, total=total, steps=f"step {step}/{total}")


def steps(description: str, *, console: Console | None = None, disable: bool = False) -> Bar:
    """``⠋ generating ━━━━━━━ step 3/20 0:00:41`` for one image: a spinner while the model loads,
    then a bar of the diffusion steps."""
    columns = [SpinnerColumn(), TextColumn("{task.description}", markup=False), BarColumn(),
               TextColumn("{task.fields[steps]}", markup=False), TimeElapsedColumn()]
    return _Steps(description, None, *columns, console=console, disable=disable)
