"""A model's record (posteditor.json) as written to disk."""

from __future__ import annotations

import json
from pathlib import Path

from posteditor.core.meta import ModelMeta

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "default" / "posteditor.json"


def test_a_record_is_written_a_third_smaller_and_reads_back_the_same(tmp_path):
    record = {"min_confidence": 0.45, "note": "café", "none": [], "empty": {},
              "dev": {"sweep": [{"threshold": 0.3, "edits": 13, "ter": [1.5, -0.25]}]},
              "retranslation": {"data": {"x": ["0.1 0.2", "0.3 0.4"], "y": [1, 0], "k": ["", "ab=cd"]}}}
    ModelMeta(record).write(tmp_path)
    text = (tmp_path / "posteditor.json").read_text(encoding="utf-8")
    assert json.loads(text) == record and text.endswith("}\n")
    assert '      "x": ["0.1 0.2", "0.3 0.4"],\n' in text  # a list of plain values: one line
    assert '  "dev": {\n    "sweep": [\n      {\n        "threshold": 0.3,' in text  # the rest indented
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    ModelMeta(shipped).write(tmp_path)
    written = (tmp_path / "posteditor.json").read_text(encoding="utf-8")
    assert json.loads(written) == shipped and len(written) < 0.7 * len(json.dumps(shipped, indent=2))


def test_a_fine_tunes_refits_are_named_for_people_shared_readings_first():
    from posteditor.core.meta import refits

    shared, ro = {"kept": True}, {"kept": False, "reason": "x"}
    summary = {"languages": {"ro": {"with_source": ro}, "et": "hand-edited"},
               "readings": {"without_source": shared, "with_source": None}}
    assert refits(summary) == [("without source", shared), ("with source in ro", ro)]
    assert refits(None) == refits({"readings": []}) == []
