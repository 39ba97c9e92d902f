"""What the commands show on the terminal besides their results: progress, counted nouns."""

from __future__ import annotations

import sys

LONG_INPUT = 500
"""From this many segments a progress bar is shown even when stderr is not a terminal."""


def plural(n: int, noun: str) -> str:
    """``1 edit``, ``2 edits``, ``0 edits``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def progress_bar(total: int, label: str = "correcting"):
    """A rich progress bar on stderr, or None when the input is short and stderr is no terminal."""
    if total == 0 or (not sys.stderr.isatty() and total < LONG_INPUT):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=Console(stderr=True), transient=sys.stderr.isatty())
