"""Issue 14's shape measures, for a commit or the working tree: prints a Markdown table.

    .venv/bin/python bench/code_shape.py                 # the working tree
    .venv/bin/python bench/code_shape.py 4c0280d main    # one column per commit

Over the app packages (bot, handlers, approvals, ops): module sizes (the largest, and how many
are over 400 lines), function length (median, p90, max, in lines from `def` to the last line),
reply paths (functions that call a Slack sending method themselves: the goal is one place per
kind of answer), the `duplicates` pairs (the library's tool, 6+ shared lines), and the English
prose written outside the catalogs (tests/handlers/test_catalogs.py's scanner).
"""

from __future__ import annotations

import ast
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("bot", "handlers", "approvals", "ops")
SENDING = re.compile(
    r"\b(chat_postMessage|chat_postEphemeral|chat_update|chat_delete|views_open|views_update"
    r"|views_publish|files_upload_v2)\b|\b(respond|say)\("
)
ROOT = Path(__file__).resolve().parents[1]


def measure(tree: Path) -> dict[str, str]:
    modules = sorted(p for pkg in PACKAGES for p in (tree / pkg).rglob("*.py"))
    sizes = {p: len(p.read_text(encoding="utf-8").splitlines()) for p in modules}
    lengths: list[int] = []
    senders = 0
    for path in modules:
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lengths.append(node.end_lineno - node.lineno + 1)
                body = ast.get_source_segment(source, node) or ""
                inner = [
                    n
                    for n in ast.walk(node)
                    if n is not node and isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                ]
                own = body
                for n in inner:
                    own = own.replace(ast.get_source_segment(source, n) or "", "")
                senders += bool(SENDING.search(own))
    largest = max(sizes, key=lambda p: sizes[p])
    deciles = statistics.quantiles(lengths, n=10)
    return {
        "modules / lines": f"{len(modules)} / {sum(sizes.values())}",
        "largest module": f"{largest.relative_to(tree)} ({sizes[largest]})",
        "modules over 400 lines": str(sum(n > 400 for n in sizes.values())),
        "functions": str(len(lengths)),
        "function lines median / p90 / max": (
            f"{statistics.median(lengths):.0f} / {deciles[8]:.0f} / {max(lengths)}"
        ),
        "functions that send to Slack themselves": str(senders),
        "duplicates pairs (6+ lines)": duplicate_pairs(tree),
        "English prose outside the catalogs": prose_outside(tree),
    }


def duplicate_pairs(tree: Path) -> str:
    counts = []
    for pkg in PACKAGES:
        out = subprocess.run(
            ["duplicates", "--repo", str(tree / pkg), "--most", "1", "--seconds", "120"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        first = out.splitlines()[0] if out else ""
        counts.append(0 if first.startswith("no duplicates") else int(first.split()[0] or 0))
    return f"{sum(counts)} ({', '.join(f'{p} {c}' for p, c in zip(PACKAGES, counts, strict=True))})"


def prose_outside(tree: Path) -> str:
    """The same ruler for every commit: this checkout's scanner, read over `tree`."""
    sys.path.insert(0, str(ROOT))
    from tests.handlers.test_catalogs import (
        APP_PACKAGES,
        FOR_DEPLOYERS,
        _prose_outside_the_catalogs,
    )

    # ops/config.py: the config schema of the commits before it became the ops/config/ package
    not_for_users = FOR_DEPLOYERS | {"handlers/render/catalogs.py", "ops/config.py"}
    found = 0
    for package in APP_PACKAGES:
        for path in (tree / package).rglob("*.py"):
            if str(path.relative_to(tree)) not in not_for_users:
                found += len(_prose_outside_the_catalogs(path))
    return str(found)


def checkout(rev: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main(revs: list[str]) -> None:
    columns: dict[str, dict[str, str]] = {}
    for rev in revs or ["working tree"]:
        if rev == "working tree":
            columns[rev] = measure(ROOT)
            continue
        with tempfile.TemporaryDirectory() as tmp:
            columns[rev] = measure(checkout(rev, Path(tmp)))
    rows = next(iter(columns.values())).keys()
    print("| measure | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in rows:
        print(f"| {row} | " + " | ".join(c[row] for c in columns.values()) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
