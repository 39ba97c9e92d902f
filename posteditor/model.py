"""The correction model: load it, format its input, generate corrections with confidences.

A model folder holds ``model.safetensors`` and ``config.json`` (a transformers encoder-decoder
built from a config), ``spm.model`` (the SentencePiece tokenizer the project trained) and
``posteditor.json`` (input limits, the confidence threshold chosen on dev, training data
signature and dev metrics). Nothing here trains or touches a model hub.

Generation runs on the model's ONNX export (``posteditor.export``, in ``<model>/onnx/``) with
onnxruntime, so neither torch nor transformers is imported to suggest: a model is ready in
under a second rather than five, and generates faster. The export is made on first load if
training did not leave one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import onnxruntime as ort
import sentencepiece as spm
from filelock import FileLock

from posteditor.edits import Edit, apply_edits, extract_edits, join_moves, respace, tokenize
from posteditor.scorer import EditScorer
from posteditor.suggest import Item
from posteditor.textio import InputError

PAD, EOS, UNK = 0, 1, 2
SOURCE_MARK = "<src>"


class ModelError(InputError):
    """The model folder is missing or broken; reported as one line."""


@dataclass(frozen=True)
class ModelInfo:
    """What ``posteditor.json`` says about a model."""

    max_source_tokens: int = 128
    max_target_tokens: int = 96
    min_confidence: float = 0.5
    use_source: bool = True


def format_input(mt: str, source: str | None = None) -> str:
    """The model's input text: the MT segment, then the source sentence when known.

    Training and inference both call this, so the two can never drift apart.
    """
    mt = " ".join(mt.split())
    if source and source.strip():
        return f"{mt} {SOURCE_MARK} {' '.join(source.split())}"
    return mt


def encode(sp: spm.SentencePieceProcessor, mt: str, source: str | None, max_tokens: int) -> list[int]:
    """Token ids of ``format_input``: the MT comes first and is never cut for the source."""
    mt_ids = sp.encode(format_input(mt))
    if source and source.strip() and len(mt_ids) + 2 < max_tokens:
        src_ids = sp.encode(f"{SOURCE_MARK} {' '.join(source.split())}")
        mt_ids = mt_ids + src_ids[: max_tokens - 1 - len(mt_ids)]
    return mt_ids[: max_tokens - 1] + [EOS]


class Corrector:
    """A loaded model that proposes edits for MT segments (a ``Suggester``)."""

    def __init__(self, model_dir: str | Path, threads: int | None = None, batch_size: int = 32, rescore: bool = True):
        self.dir = Path(model_dir)
        weights = self.dir / "model.safetensors"
        if not weights.is_file() or not (self.dir / "spm.model").is_file():
            raise ModelError(f"{self.dir}: not a posteditor model (model.safetensors and spm.model expected)")
        meta = self.dir / "posteditor.json"
        raw = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else {}
        self.meta = raw
        self.info = ModelInfo(**{k: raw[k] for k in ModelInfo.__dataclass_fields__ if k in raw})
        self.sp = spm.SentencePieceProcessor(model_file=str(self.dir / "spm.model"))
        self.runtime = Runtime(self.dir, threads)
        self.batch_size = batch_size
        self.pieces = [self.sp.id_to_piece(i).replace("▁", " ") for i in range(self.sp.get_piece_size())]
        # Calibration asks for the model's own confidences (rescore=False) to fit the scorer on.
        self.scorer = None
        if rescore and raw.get("edit_scorer"):
            try:
                self.scorer = EditScorer(raw["edit_scorer"], self.piece_count)
            except (KeyError, TypeError, ValueError) as exc:
                raise ModelError(f"{meta}: unusable edit_scorer ({exc})") from None

    def piece_count(self, word: str) -> int:
        """How many tokenizer pieces ``word`` takes (the edit scorer's measure of rarity)."""
        return len(self.sp.encode(word))

    def suggest(self, items: Sequence[Item]) -> list[list[Edit]]:
        """Edits for each item, each with the model's confidence in it."""
        results: list[list[Edit]] = [[] for _ in items]
        todo = [i for i, it in enumerate(items) if it.text.strip()]
        # Similar lengths together so padding stays small.
        todo.sort(key=lambda i: len(items[i].text))
        for k in range(0, len(todo), self.batch_size):
            batch = [items[i] for i in todo[k : k + self.batch_size]]
            for i, edits in zip(todo[k : k + self.batch_size], self._suggest_batch(batch)):
                results[i] = edits
        return results

    def correct(self, text: str, source: str | None = None) -> str:
        """The model's full correction of one segment (every edit applied)."""
        return apply_edits(text, self.suggest([Item(text, source)])[0])

    def _suggest_batch(self, items: Sequence[Item]) -> list[list[Edit]]:
        limit = self.info.max_source_tokens
        ids = [encode(self.sp, it.text, it.source if self.info.use_source else None, limit) for it in items]
        width = max(map(len, ids))
        input_ids = np.full((len(ids), width), PAD, dtype=np.int64)  # (batch, width)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = seq
        longest = max(len(self.sp.encode(" ".join(it.text.split()))) for it in items)
        generated, probs = self.runtime.greedy(input_ids, min(self.info.max_target_tokens, int(longest * 1.5) + 8))
        return [
            self._edits(it, generated[row], probs[row])
            for row, it in enumerate(items)
        ]

    def _edits(self, item: Item, ids: list[int], probs: list[float]) -> list[Edit]:
        """Turn one generated sequence into edits against the item's own text."""
        if EOS not in ids:  # ran out of length: the output is cut short, trust nothing
            return []
        n = ids.index(EOS)
        ids, probs = ids[: n + 1], probs[: n + 1]
        text = self.sp.decode(ids[:n])
        tokens = tokenize(item.text)
        if not text.strip() or len(tokenize(text)) < len(tokens) / 2:
            return []
        # Character span of each generated piece in the decoded text (EOS sits at the end).
        spans, pos = [], 0
        shift = 1 if self.pieces[ids[0]].startswith(" ") else 0  # decode drops that space
        for i in ids[:n]:
            spans.append((pos - shift, pos + len(self.pieces[i]) - shift))
            pos += len(self.pieces[i])
        spans.append((pos - shift, pos - shift + 1))
        corrected = respace(item.text, text)
        edits, out_tokens, shift_tokens = [], tokenize(corrected), 0
        for edit in extract_edits(item.text, corrected):
            lo, hi = _char_span(out_tokens, edit.start + shift_tokens, len(edit.replacement))
            shift_tokens += len(edit.replacement) - (edit.end - edit.start)
            # The pieces that wrote the replacement (or, for a deletion, the piece written
            # in its place) plus the next one, where the model went back to copying: an
            # edit is as sure as its least sure step.
            touched = [k for k, (s, e) in enumerate(spans) if s < max(hi, lo + 1) and e > lo]
            if not touched:
                continue
            steps = probs[touched[0] : touched[-1] + 2]
            edits.append(Edit(edit.start, edit.end, edit.replacement, round(min(steps), 4), "model"))
        edits = join_moves(tokens, edits)
        if self.scorer is not None:
            edits = self.scorer.rescore(tokens, edits, item.source if self.info.use_source else None)
        return edits


class Runtime:
    """Greedy generation on the model's ONNX graphs (see ``posteditor.export``).

    Gives what transformers' ``generate(num_beams=1, do_sample=False)`` gives for this model,
    token for token: decoding starts from EOS (mBART's decoder start), finished rows are
    padded, and the last allowed step is forced to EOS (the model's ``forced_eos_token_id``),
    its probability then 1.
    """

    def __init__(self, model_dir: Path, threads: int | None = None):
        options = ort.SessionOptions()
        # Like torch before it, follow OMP_NUM_THREADS when no count is given: the editor's
        # model process sets it to leave the editor a core.
        options.intra_op_num_threads = threads or _omp_threads()
        options.inter_op_num_threads = 1
        # Idle threads sleep rather than spin, so they never take a core from the editor.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        folder, temporary = prepare_onnx(model_dir)
        try:
            self.first = ort.InferenceSession(str(folder / "first.onnx"), options, providers=["CPUExecutionProvider"])
            self.step = ort.InferenceSession(str(folder / "step.onnx"), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime's own errors name no file
            raise ModelError(f"{folder}: cannot load the model's ONNX graphs ({exc})") from None
        finally:
            if temporary:  # loaded into memory: the files are no longer needed
                shutil.rmtree(folder, ignore_errors=True)
        self.cache_names = [i.name for i in self.step.get_inputs()][3:]

    def greedy(self, input_ids: np.ndarray, max_new: int) -> tuple[list[list[int]], list[list[float]]]:
        """The generated ids of each row (EOS included, then PAD) and each one's probability."""
        mask = (input_ids != PAD).astype(np.int64)
        rows = np.arange(len(input_ids))
        log_probs, hidden, *cache = self.first.run(None, {"input_ids": input_ids, "attention_mask": mask})
        done = np.zeros(len(input_ids), dtype=bool)
        tokens, probs = [], []
        for step in range(max_new):
            if step == max_new - 1:
                token, prob = np.full(len(rows), EOS, dtype=np.int64), np.ones(len(rows))
            else:
                token = log_probs.argmax(-1)
                prob = np.exp(log_probs[rows, token])
            token = np.where(done, PAD, token)
            tokens.append(token)
            probs.append(prob)
            done |= token == EOS
            if done.all():
                break
            feed = {"token": token[:, None], "hidden": hidden, "attention_mask": mask}
            feed.update(zip(self.cache_names, cache))
            log_probs, *grown = self.step.run(None, feed)
            cache[0::4], cache[1::4] = grown[0::2], grown[1::2]
        return np.stack(tokens, 1).tolist(), np.stack(probs, 1).tolist()


def _omp_threads() -> int:
    """The thread count OMP_NUM_THREADS asks for ("2" or the outer level of "2,1"); 0 for
    onnxruntime's own choice when it is unset or not a count."""
    first = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(first) if first.isdigit() else 0


def file_digest(*files: Path) -> str:
    """sha256 of the files' bytes, one after the other."""
    digest = hashlib.sha256()
    for path in files:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def weights_stamp(model_dir: Path) -> str:
    """What an ONNX export is made from: the digest of the weights and the config."""
    try:
        return file_digest(model_dir / "model.safetensors", model_dir / "config.json")
    except OSError as exc:
        raise ModelError(f"{model_dir}: cannot read the model ({exc.strerror or exc})") from None


def _stamp_of(folder: Path) -> str | None:
    try:
        return json.loads((folder / "source.json").read_text(encoding="utf-8")).get("weights")
    except (OSError, ValueError, AttributeError):
        return None


def prepare_onnx(model_dir: Path, export_into: Callable[[Path], None] | None = None) -> tuple[Path, bool]:
    """The folder of the model's ONNX graphs, exported now if missing or stale; and whether
    it is a temporary one (the model folder is read-only) to remove once loaded.

    ``export_into(folder)`` writes the graphs; by default ``posteditor.export`` makes them from
    the saved weights (training passes its model in memory). One process at a time exports
    into a model folder (a file lock): a second one waiting on it then finds the export made.
    """
    folder = model_dir / "onnx"
    if export_into is None:
        if _stamp_of(folder) == weights_stamp(model_dir):
            return folder, False

        def export_into(work: Path) -> None:
            from posteditor.export import export_model_dir  # torch and transformers: only here

            export_model_dir(model_dir, work)

    try:
        lock = FileLock(model_dir / "onnx.lock")
        lock.acquire(timeout=600)
    except OSError:  # a folder we cannot write in: export for this process only
        print(f"posteditor: preparing {model_dir} for onnxruntime (the folder is read-only, so on every load)",
              file=sys.stderr)
        work = Path(tempfile.mkdtemp(prefix="posteditor-onnx."))
        try:
            _export(model_dir, work, export_into, weights_stamp(model_dir))
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return work, True
    try:
        for stale in model_dir.glob("onnx.*"):  # left by an export that was interrupted
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        # The stamp is taken before the export; if the weights changed meanwhile, again.
        while (stamp := weights_stamp(model_dir)) != _stamp_of(folder):
            print(f"posteditor: preparing {model_dir} for onnxruntime (once, a few seconds)", file=sys.stderr)
            work = Path(tempfile.mkdtemp(prefix="onnx.", dir=model_dir))
            try:
                _export(model_dir, work, export_into, stamp)
                if stamp == weights_stamp(model_dir):
                    work.chmod(folder.parent.stat().st_mode & 0o777)  # mkdtemp made it private
                    shutil.rmtree(folder, ignore_errors=True)
                    work.rename(folder)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        lock.release()
    return folder, False


def _export(model_dir: Path, work: Path, export_into: Callable[[Path], None], stamp: str) -> None:
    """Export into ``work`` and stamp it with ``stamp``, the weights' before the export began."""
    try:
        export_into(work)
    except Exception as exc:
        raise ModelError(f"{model_dir}: cannot export the model for onnxruntime ({exc})") from None
    (work / "source.json").write_text(json.dumps({"weights": stamp}) + "\n", encoding="utf-8")


def _char_span(tokens: tuple[str, ...], start: int, size: int) -> tuple[int, int]:
    """Where ``tokens[start:start+size]`` lies once the text is single-spaced."""
    prefix = len(" ".join("".join(tokens[:start]).split()))
    width = len(" ".join("".join(tokens[start : start + size]).split()))
    if prefix and width:
        prefix += 1  # the space between the prefix and the replacement
    return prefix, prefix + width
