"""Hand-made mutants of the SQL in rules/consolidate.py, which no mutation tool edits.

Each mutant is a plausible bug in the engine's SQL (rounding, the payer by date, the rate
lookup, the ageing walk, discounts and taxes): a fragment of the module's source, the mutated
fragment, and the hand-worked test that must fail on it. The test below rewrites the module's
source with the mutant, swaps the code of every function it changes in place (so every caller,
wherever it imported the function from, runs the mutant), runs the named test in-process with
pytest, and expects that test, and only it, to fail on a wrong result (not on SQL that does not
run). The original fragment must occur exactly once in the source, so a change to the engine
cannot leave the table stale without failing here.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import FunctionType
from typing import Any, NamedTuple

import pytest

from ledgerflow.rules import consolidate as engine

ROOT = Path(__file__).resolve().parents[2]
SOURCE = Path(engine.__file__).read_text(encoding="utf-8")
CASES = "tests/rules/test_consolidate.py"
SQL_ERROR = re.compile(r"duckdb|(Parser|Binder|Catalog|Conversion|Invalid Input) Error")


class Mutant(NamedTuple):
    name: str
    original: str  # occurs exactly once in rules/consolidate.py
    mutated: str
    caught_by: str  # the node id of the test that fails on the mutant


MUTANTS = [
    # rounding (the div_round macro: half-up away from zero, or half-even)
    Mutant("half-up rounds a positive tie down",
           '"(2 * abs(n) + d) // (2 * d)"', '"(2 * abs(n) + d - 1) // (2 * d)"',
           f"{CASES}::test_related_account_in_another_currency_at_the_default_rate"),
    Mutant("half-up rounds a negative tie toward +infinity (-0.5 -> 0)",
           "AS sign(n) * ({body})", "AS (2 * n + d) // (2 * d) + 0 * ({body})",
           f"{CASES}::test_negative_tie_rounds_away_from_zero_half_up"),
    Mutant("half-even rounds every tie up",
           'tie = "abs(n) // d + ((abs(n) // d) % 2)"', 'tie = "abs(n) // d + 1"',
           f"{CASES}::test_negative_tie_rounds_to_even_on_request"),
    Mutant("half-even rounds above half down",
           "WHEN 2 * (abs(n) % d) > d THEN abs(n) // d + 1",
           "WHEN 2 * (abs(n) % d) > d THEN abs(n) // d",
           f"{CASES}::test_discount_and_tax_rounded_half_even_on_request"),
    # the payer by date: a link holds on linked_on <= d < unlinked_on
    Mutant("the link day itself is not linked",
           "k.linked_on <= l.date", "k.linked_on < l.date",
           f"{CASES}::test_link_and_unlink_inside_the_period"),
    Mutant("the unlink day is still linked",
           "l.date < k.unlinked_on", "l.date <= k.unlinked_on",
           f"{CASES}::test_link_and_unlink_inside_the_period"),
    Mutant("an open-ended link (no unlinked_on) never holds",
           "k.unlinked_on IS NULL OR", "FALSE OR",
           f"{CASES}::test_related_account_in_another_currency_at_the_default_rate"),
    # the rate: own direct, default direct, own inverse, default inverse; latest valid_from <= d
    Mutant("the default rate before the payer's own",
           "coalesce(ro.rate6, rd.rate6, io.rate6, id.rate6)",
           "coalesce(rd.rate6, ro.rate6, io.rate6, id.rate6)",
           f"{CASES}::test_the_payers_own_rate_wins_over_the_default"),
    Mutant("an inverse rate before a direct one",
           "coalesce(ro.rate6, rd.rate6, io.rate6, id.rate6)",
           "coalesce(io.rate6, id.rate6, ro.rate6, rd.rate6)",
           f"{CASES}::test_a_direct_default_rate_wins_over_the_payers_own_inverse"),
    Mutant("a rate holds only after its valid_from day",
           "AND c.date >= {alias}.valid_from", "AND c.date > {alias}.valid_from",
           f"{CASES}::test_rate_change_mid_period_with_units"),
    Mutant("the default lookup also takes other clients' own rates",
           'else "k IS NULL"', 'else "TRUE"',
           f"{CASES}::test_the_payers_own_rate_wins_over_the_default"),
    # the ageing walk: credits pay the oldest debits first, so the debt is the newest debits
    Mutant("the debt is taken from the oldest debits",
           "ORDER BY a.date DESC, a.source DESC, a.line_id DESC",
           "ORDER BY a.date, a.source, a.line_id",
           f"{CASES}::test_partial_payment_fifo_ageing_and_flags"),
    # discounts and taxes: the most specific row wins; tax on the discounted amount
    Mutant("a client-wide discount before the client's product discount",
           "coalesce(dcp.p6, dc.p6, 0)", "coalesce(dc.p6, dcp.p6, 0)",
           f"{CASES}::test_most_specific_discount_and_tax_win_and_tax_follows_the_discount"),
    Mutant("a default product tax before the client's own tax",
           "coalesce(tcp.r6, tc.r6, tdp.r6, td.r6, 0)",
           "coalesce(tcp.r6, tdp.r6, tc.r6, td.r6, 0)",
           f"{CASES}::test_most_specific_discount_and_tax_win_and_tax_follows_the_discount"),
    Mutant("the default tax before the default product tax",
           "coalesce(tcp.r6, tc.r6, tdp.r6, td.r6, 0)",
           "coalesce(tcp.r6, tc.r6, td.r6, tdp.r6, 0)",
           f"{CASES}::test_most_specific_discount_and_tax_win_and_tax_follows_the_discount"),
    Mutant("tax on the amount before the discount",
           "div_round(charged_minor * r6, {one})", "div_round(net_minor * r6, {one})",
           f"{CASES}::test_most_specific_discount_and_tax_win_and_tax_follows_the_discount"),
    Mutant("a condition's valid_to day is excluded",
           "l.date <= {alias}.valid_to", "l.date < {alias}.valid_to",
           f"{CASES}::test_most_specific_discount_and_tax_win_and_tax_follows_the_discount"),
]


def _functions(namespace: dict[str, Any]) -> dict[str, FunctionType]:
    """The module's functions and its classes' methods, by qualified name."""
    found = {}
    for name, value in namespace.items():
        if getattr(value, "__module__", None) != engine.__name__:
            continue
        if isinstance(value, FunctionType):
            found[name] = value
        elif isinstance(value, type):
            found |= {f"{name}.{attr}": member for attr, member in vars(value).items()
                      if isinstance(member, FunctionType)}
    return found


def apply(mutant: Mutant, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Run the mutant instead of the engine until the test ends; return what it changed."""
    assert SOURCE.count(mutant.original) == 1, f"{mutant.name}: the original is not unique"
    assert mutant.original.count("\n") == mutant.mutated.count("\n")  # same line numbers
    namespace: dict[str, Any] = {"__name__": engine.__name__, "__file__": engine.__file__}
    exec(compile(SOURCE.replace(mutant.original, mutant.mutated), engine.__file__, "exec"),
         namespace)
    changed = []
    mutated = _functions(namespace)
    for name, function in _functions(vars(engine)).items():
        if mutated[name].__code__ != function.__code__:
            monkeypatch.setattr(function, "__code__", mutated[name].__code__)
            changed.append(name)
    for name, value in namespace.items():  # module constants (SQL text, lookup tables)
        if isinstance(value, str | tuple) and not name.startswith("__") \
                and value != getattr(engine, name):
            monkeypatch.setattr(engine, name, value)
            changed.append(name)
    return changed


class Outcomes:
    """The tests of a pytest run that passed, and those that failed with their report."""

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}
        self.passed: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed[report.nodeid] = report.longreprtext
        elif report.passed and report.when == "call":
            self.passed.append(report.nodeid)


def run_test(node: str) -> tuple[int, Outcomes]:
    outcomes = Outcomes()
    code = pytest.main([str(ROOT / node), "-p", "no:randomly", "-p", "no:cacheprovider",
                        "-o", "addopts=", "-vv", "--tb=short", "--no-header"],
                       plugins=[outcomes])
    return int(code), outcomes


def test_every_catching_test_passes_on_the_engine() -> None:
    """Without a mutant the named tests pass: their failures below are the mutants' doing."""
    nodes = sorted({m.caught_by for m in MUTANTS})
    outcomes = Outcomes()
    code = pytest.main([*(str(ROOT / node) for node in nodes), "-p", "no:randomly",
                        "-p", "no:cacheprovider", "-o", "addopts=", "-q", "--no-header"],
                       plugins=[outcomes])
    assert (code, outcomes.failed) == (pytest.ExitCode.OK, {})
    assert sorted(outcomes.passed) == nodes


@pytest.mark.parametrize("mutant", MUTANTS, ids=[re.sub(r"\W+", "-", m.name) for m in MUTANTS])
def test_the_named_test_fails_on_the_mutant(mutant: Mutant,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert apply(mutant, monkeypatch), f"{mutant.name}: the mutant changed no function"

    code, outcomes = run_test(mutant.caught_by)

    assert code == pytest.ExitCode.TESTS_FAILED, f"{mutant.name} survived {mutant.caught_by}"
    [(node, failure)] = outcomes.failed.items()
    assert node == mutant.caught_by
    # a wrong result (a figure, one payer too many, the engine's conservation check), not SQL
    # that does not run (which a load's dry run of the engine would report as well)
    assert not SQL_ERROR.search(failure), failure
