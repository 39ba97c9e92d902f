"""How well ``.txt`` segmentation finds sentences: ours (``reader.parse``) against pySBD.

Sentence-per-line English text (WMT news references, MLQE-PE post-edits) is put back into
running text: consecutive lines joined with a space into paragraphs of ``--per`` lines, except
that a line without sentence-final punctuation (a headline, a byline) is followed by a line
break, as in a news article. A segmenter is right on a line when one of its segments is exactly
that line. Prints, per source, lines found exactly, and the segments count against the lines.

    python benchmarks/bench_segment.py [--data ../shared/data] [--limit 3000]

pySBD is measured only when it is installed (``pip install pysbd``); it is not a dependency.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from posteditor.core import paths
from posteditor.core.reader import parse

FINAL = re.compile(r"""[.!?…]["'”’»)\]]*$""")


def article(lines: list[str], per: int) -> tuple[str, list[str]]:
    """Running text from sentence-per-line ``lines``, and the lines it holds."""
    out, kept, n = [], [], 0
    for line in lines:
        line = " ".join(line.split())
        if not line:
            continue
        kept.append(line)
        n += 1
        if not FINAL.search(line):
            out.append(line + "\n")
            n = 0
        elif n >= per:
            out.append(line + "\n\n")
            n = 0
        else:
            out.append(line + " ")
    return "".join(out), kept


def ours(text: str) -> list[str]:
    return parse(text, "txt").segments


def pysbd_segmenter():
    try:
        import pysbd
    except ImportError:
        return None
    seg = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return lambda text: [s.strip() for p in re.split(r"\n\s*\n", text) for s in seg.segment(p) if s.strip()]


def pysbd_with_lines():
    """pySBD inside our paragraphs and line blocks (the headline rule kept)."""
    base = pysbd_segmenter()
    if base is None:
        return None
    from posteditor.core.document import _line_blocks, _paragraphs

    def run(text: str) -> list[str]:
        out = []
        for a, b in _paragraphs(text):
            for c, d in _line_blocks(text, a, b):
                out += base(text[c:d])
        return out

    return run


def measure(segment, text: str, lines: list[str]) -> tuple[int, int, float]:
    start = time.perf_counter()
    segments = [" ".join(s.split()) for s in segment(text)]
    took = time.perf_counter() - start
    found = set(segments)
    return sum(1 for line in lines if line in found), len(segments), took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(paths.data_root()))
    ap.add_argument("--limit", type=int, default=3000, help="lines per source")
    ap.add_argument("--per", type=int, default=4, help="sentences per paragraph")
    args = ap.parse_args()
    data = Path(args.data)
    sources = {
        "examples/idlib.txt": None,
        "wmt22 ru-en ref": data / "wmt/wmt22/references/generaltest2022.ru-en.ref.A.en",
        "wmt21 de-en ref": data / "wmt/wmt21/references/newstest2021.de-en.ref.A.en",
        "mlqe et-en dev.pe": data / "mlqe-pe/et-en/dev.pe",
    }
    segmenters = {"ours": ours, "pysbd": pysbd_segmenter(), "pysbd+lines": pysbd_with_lines()}
    for name, path in sources.items():
        if path is None:
            text = (paths.PROJECT_ROOT / name).read_text(encoding="utf-8")
            print(f"{name}: ours {len(ours(text))} segments", end="")
            if segmenters["pysbd"]:
                print(f", pysbd {len(segmenters['pysbd'](text))}, pysbd+lines {len(segmenters['pysbd+lines'](text))}", end="")
            print()
            continue
        if not path.is_file():
            found = sorted(path.parent.glob(path.name.split(".ref")[0] + "*")) if path.parent.is_dir() else []
            if not found:
                print(f"{name}: {path} not found")
                continue
            path = found[0]
        raw = path.read_text(encoding="utf-8").splitlines()[: args.limit]
        if "mlqe" in name:
            from posteditor.core.metrics import detokenize

            raw = detokenize(raw)
        text, lines = article(raw, args.per)
        row = [f"{name} ({len(lines)} lines, {sum(not FINAL.search(x) for x in lines)} without a full stop):"]
        for label, segment in segmenters.items():
            if segment is None:
                continue
            right, count, took = measure(segment, text, lines)
            row.append(f"{label} {right}/{len(lines)} exact ({100 * right / len(lines):.1f}%), {count} segments, {took:.2f}s")
        print("  ".join(row))


if __name__ == "__main__":
    main()
