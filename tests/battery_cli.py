"""``posteditor`` with a fake suggester instead of the model, for the battery's subprocess cases.

``python tests/battery_cli.py correct FILE ...`` runs the real command line in a process of its
own (so closed descriptors and signals act on it as on the real one) with the table-driven
suggester of ``tui_fakes`` patched in where the commands load the model. ``BATTERY_DELAY``
(seconds) makes every suggestion batch slow, to send a signal while it works; the file named
by ``BATTERY_READY`` is created when suggesting starts.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tui_fakes import TableSuggester  # noqa: E402


class SlowSuggester(TableSuggester):
    def suggest(self, items):
        if os.environ.get("BATTERY_READY"):
            Path(os.environ["BATTERY_READY"]).touch()
        time.sleep(float(os.environ.get("BATTERY_DELAY", "0")))
        return super().suggest(items)


def install() -> None:
    """Patch every place a command loads the model with the fake."""
    from posteditor.commands import correct
    from posteditor.commands import evaluate

    fake = lambda *a, **k: SlowSuggester()  # noqa: E731
    correct.load_suggester = fake
    evaluate.load_suggester = fake


if __name__ == "__main__":
    install()
    from posteditor import cli

    sys.exit(cli.main(sys.argv[1:]))
