"""No test asserts how long something took: on a loaded machine such an assert is a flake
waiting to happen. Tests assert order and outcome (a fake that holds a request until released,
events); timings go to bench/ scripts that print a table.

Flagged: an ``assert`` that reads a duration — a clock (``time.monotonic()``,
``time.perf_counter()``, ``time.time()``, ``loop.time()``) minus something — or a name assigned
one in the same function (``elapsed = time.monotonic() - started``). A clock read as a
timestamp (a signed request's) is data, and a clock compared with a ``deadline`` is the bound
of a wait, not a measure: both are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCKS = {"monotonic", "perf_counter", "time", "monotonic_ns", "perf_counter_ns", "time_ns"}


def is_clock(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCKS
        and not node.args
    )


def measures_duration(node: ast.AST) -> bool:
    """Holds `clock() - something`."""
    return any(
        isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Sub) and is_clock(sub.left)
        for sub in ast.walk(node)
    )


def names_in(node: ast.AST) -> set[str]:
    return {name.id for name in ast.walk(node) if isinstance(name, ast.Name)}


def is_deadline_bound(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and any("deadline" in n for n in names_in(test))


def timed_asserts(function: ast.AST) -> list[int]:
    clock_names = {
        target.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and measures_duration(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    return [
        node.lineno
        for node in ast.walk(function)
        if isinstance(node, ast.Assert)
        and (measures_duration(node.test) or names_in(node.test) & clock_names)
        and not is_deadline_bound(node.test)
    ]


def test_no_test_asserts_a_duration():
    found = []
    for path in sorted(TESTS.rglob("*.py")):
        if "node_modules" in path.parts:
            continue
        tree = ast.parse(path.read_text(), str(path))
        functions = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        found += [
            f"{path.relative_to(TESTS)}:{line}" for f in functions for line in timed_asserts(f)
        ]
    assert sorted(set(found)) == []


def test_the_check_sees_a_duration_and_lets_a_deadline_be():
    source = """
def test_slow():
    started = time.monotonic()
    run()
    assert time.monotonic() - started < 2.9
    took = time.perf_counter() - started
    assert took < 5
    stale = sign(timestamp=int(time.time()) - 600)
    assert post(stale) == 401

def wait():
    deadline = time.monotonic() + 10
    assert time.monotonic() < deadline, "timed out"
"""
    tree = ast.parse(source)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert [timed_asserts(f) for f in functions] == [[5, 7], []]
