"""How often the QA checks (posteditor/core/qa.py) cry wolf, and what they catch, on MLQE-PE dev.

False alarms: the share of post-edited reference segments (dev.pe, with dev.src and, for the
names check, dev.mt as the MT they were edited from) that a check flags; a post-edit is
taken to be right. Caught: raw MT segments (dev.mt, with dev.src) a check flags where the
check is quiet on the post-edit of the same segment and the post-editor changed it: a problem
the post-editor fixed. Text is Moses-tokenized and detokenized first (as corpus.py does).

    .venv/bin/python benchmarks/qa_alarms.py [--data ../shared/data/mlqe-pe] [--json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from posteditor.core.metrics import detokenize
from posteditor.core.qa import CHECKS, check_document

PAIRS = ("et-en", "ne-en", "ro-en", "ru-en", "si-en")


def lines(path: Path, lang: str) -> list[str]:
    return [detokenize(line.strip(), lang) for line in path.read_text(encoding="utf-8").splitlines()]


def measure(folder: Path, pair: str) -> dict:
    src_lang = pair.split("-")[0]
    src, mt, pe = lines(folder / "dev.src", src_lang), lines(folder / "dev.mt", "en"), lines(folder / "dev.pe", "en")
    on_pe = check_document(pe, src, mt)
    on_mt = check_document(mt, src, None)
    flagged_pe = {(i.check, i.segment) for i in on_pe}
    per_check_pe = Counter(c for c, _ in flagged_pe)
    flagged_mt = {(i.check, i.segment) for i in on_mt}
    caught = Counter(c for c, s in flagged_mt if (c, s) not in flagged_pe and mt[s] != pe[s])
    per_check_mt = Counter(c for c, _ in flagged_mt)
    return {
        "pair": pair, "segments": len(pe),
        "pe_flagged": len({s for _, s in flagged_pe}),
        "pe_by_check": dict(per_check_pe),
        "mt_flagged": len({s for _, s in flagged_mt}),
        "mt_by_check": dict(per_check_mt),
        "caught": sum(caught.values()), "caught_by_check": dict(caught),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[1].parent / "shared/data/mlqe-pe"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [measure(Path(args.data) / pair, pair) for pair in PAIRS if (Path(args.data) / pair / "dev.pe").is_file()]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    checks = [c for c in CHECKS if c not in ("glossary",)]
    print("| pair | segments | PE flagged (false alarms) | " + " | ".join(checks) + " | MT flagged | caught (fixed by the post-editor) |")
    print("|---" * (len(checks) + 5) + "|")
    total = Counter()
    for r in rows:
        n = r["segments"]
        total.update({"segments": n, "pe": r["pe_flagged"], "mt": r["mt_flagged"], "caught": r["caught"]})
        total.update({f"pe_{c}": r["pe_by_check"].get(c, 0) for c in checks})
        cells = [f"{r['pe_by_check'].get(c, 0)}" for c in checks]
        print(f"| {r['pair']} | {n} | {r['pe_flagged']} ({100 * r['pe_flagged'] / n:.1f}%) | " + " | ".join(cells)
              + f" | {r['mt_flagged']} | {r['caught']} |")
    n = total["segments"]
    cells = [f"{total[f'pe_{c}']} ({100 * total[f'pe_{c}'] / n:.1f}%)" for c in checks]
    print(f"| all | {n} | {total['pe']} ({100 * total['pe'] / n:.1f}%) | " + " | ".join(cells)
          + f" | {total['mt']} | {total['caught']} |")
    caught = Counter()
    for r in rows:
        caught.update(r["caught_by_check"])
    print("\ncaught by check: " + ", ".join(f"{c} {caught.get(c, 0)}" for c in checks))


if __name__ == "__main__":
    main()
