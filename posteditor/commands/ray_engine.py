"""Batch correction on Ray: the segments of every input go through Ray Data, one model per worker.

``posteditor correct --engine ray`` reads and segments its files where it runs, as the local
engine does; only the suggesting moves. Each Ray worker builds the very suggester the local
engine builds (``make_suggester``: the model, its checks against the source, the memory, the glossary)
once, and answers batches of segments: whether each fits the model and, if it does, its
edits and words to check. ``suggest_with_ray`` gathers every answer before it returns, in an ``Answered``
suggester that the local loop then asks as it would ask the model, so what is written (and
when: only once every answer is back) is exactly what the local engine writes.

Ray is imported here, inside the functions, and torch never on the driver: ``posteditor
--help`` stays instant and a machine without the ``ray`` extra is told how to get it.
"""

from __future__ import annotations

import logging
import math
import os
import pickle
import re
import warnings
from typing import Callable, Sequence

from posteditor.core import paths
from posteditor.core.edits import Doubt, Edit
from posteditor.core.meta import ModelMeta
from posteditor.core.textio import InputError
from posteditor.suggest.base import Item, Suggester, fits

INSTALL = "--engine ray needs Ray: pip install 'posteditor[ray]' (or pip install 'ray[data]')"
BATCHES_PER_WORKER = 4
"""At least this many batches per worker, so a fast worker takes over a slow one's share."""
RETRIES = 3
"""How often a worker that died is restarted, and its batch tried again, before the job fails."""


class Answered(Suggester):
    """A suggester whose answers were computed elsewhere: ``suggest`` and ``fits`` look them up.

    ``answers`` maps each item to its edits and words to check, or None when its text does not
    fit the model; ``info`` carries the workers' suggester's threshold (None when it has no
    model record).
    """

    flags_words = True

    def __init__(self, answers: dict[Item, tuple[list[Edit], list[Doubt]] | None], info, terms: Sequence = ()):
        self.answers = answers
        self.fitting = {item.text: found is not None for item, found in answers.items()}
        self.info = info
        self.terms = list(terms)  # the glossary, for the QA checks of the report

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        return [(self.answers.get(item) or ([], []))[0] for item in items]

    def doubts(self, items: Sequence[Item]) -> list[list[Doubt]]:
        return [(self.answers.get(item) or ([], []))[1] for item in items]

    def fits(self, text: str) -> bool:
        return self.fitting.get(text, True)


class Worker:
    """One Ray Data worker: builds the suggester once, then answers batches of segments."""

    def __init__(self, make_suggester: Callable[[], Suggester]):
        self.suggester = make_suggester()

    def __call__(self, batch: dict) -> dict:
        import numpy as np

        # A column of missing sources comes back as NaN (Arrow's null through NumPy): no source.
        items = [Item(str(t), s if isinstance(s, str) else None, lang if isinstance(lang, str) else None)
                 for t, s, lang in zip(batch["text"], batch["source"], batch["language"])]
        ok = [fits(self.suggester, item.text) for item in items]
        asked = [it for it, f in zip(items, ok) if f]
        found = iter(zip(self.suggester.suggest(asked), self.suggester.doubts(asked)))
        answers = [pickle.dumps(next(found) if f else None) for f in ok]
        # Only the threshold of the model's record is read on the driver: not the whole record
        # (its edit scorer's data can be hundreds of KB) with every segment.
        info = self.suggester.info
        return {"index": batch["index"], "answer": np.array(answers, dtype=object),
                "threshold": np.full(len(items), math.nan if info is None else float(info.min_confidence))}


def suggest_with_ray(
    items: Sequence[Item],
    make_suggester: Callable[[], Suggester],
    workers: int | None = None,
    address: str | None = None,
    terms: Sequence = (),
) -> Answered:
    """Every item's answer, computed by ``workers`` Ray workers (default: one per CPU).

    Joins the Ray cluster at ``address``, or uses the Ray this process already started, or
    starts a local one with this machine's cores (and stops it after). A worker process that
    dies is restarted and its batch tried again; a worker that raises fails the job, reported
    in one line (``InputError``).
    """
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError(INSTALL) from None
    unique = list(dict.fromkeys(items))  # a repeated segment is corrected once
    started = _connect(ray, address)
    try:
        total = int(ray.cluster_resources().get("CPU", 1))
        workers = workers or max(1, total)
        if not unique:
            return Answered({}, make_suggester().info, terms)
        rows = [{"index": i, "text": it.text, "source": it.source, "language": it.language} for i, it in enumerate(unique)]
        batch = max(1, min(256, math.ceil(len(rows) / (BATCHES_PER_WORKER * workers))))
        ds = ray.data.from_items(rows, override_num_blocks=min(len(rows), BATCHES_PER_WORKER * workers))
        with warnings.catch_warnings():  # Ray 2.60 warns of actor options it has no named parameter for yet
            warnings.simplefilter("ignore", DeprecationWarning)
            ds = ds.map_batches(Worker, fn_constructor_args=(make_suggester,), batch_size=batch,
                                compute=ray.data.ActorPoolStrategy(size=min(workers, len(rows))),
                                num_cpus=max(1, total // workers), max_restarts=RETRIES, max_task_retries=RETRIES)
        answers: list[tuple[list[Edit], list[Doubt]] | None] = [None] * len(unique)
        threshold = math.nan
        try:
            for row in ds.iter_rows():
                answers[row["index"]] = pickle.loads(row["answer"])
                threshold = float(row["threshold"])
        except Exception as exc:  # a worker raised, or kept dying: Ray's error wraps the cause
            raise InputError(f"the Ray job failed: {_cause(exc)}") from None
        info = None if math.isnan(threshold) else ModelMeta({"min_confidence": threshold})
        return Answered(dict(zip(unique, answers)), info, terms)
    finally:
        if started:
            ray.shutdown()


def _connect(ray, address: str | None) -> bool:
    """Connect to Ray; True when this call started it (so it is stopped after the job)."""
    if ray.is_initialized():
        started = False
    elif address:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        started = True
    else:
        # Workers import the package this process imported, not another install of it.
        path = os.pathsep.join(p for p in (str(paths.PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p)
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level=logging.ERROR,
                 log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
        started = True
    # Ray Data logs each run (INFO), its settings (WARNING) and a failed job with its traceback
    # (ERROR): the command reports a failure itself, in one line.
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    return started


def _cause(exc: BaseException) -> str:
    """The worker's own error in one line (``RuntimeError: ...``), without Ray's traceback.

    Ray wraps it (a remote traceback in the message, then Ray Data's advice on retries), so
    the last line naming an exception that is not Ray's own is the worker's."""
    cause = exc
    while cause.__cause__ is not None:
        cause = cause.__cause__
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    named = [line for line in lines if re.match(r"[\w.]*(Error|Exception|Interrupt)\b.*: ", line)
             and not line.startswith("ray.")]
    if named:
        return named[-1]
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__
