"""Fuzz the properties of tests/test_properties.py with many examples, within a wall-clock bound.

    .venv/bin/python tests/fuzz.py --max-seconds 600            # every property, 10,000 examples
    .venv/bin/python tests/fuzz.py --max-seconds 120 --only wikitext dates --seed 7

Each property of `test_properties.PROPERTIES` runs in-process, in chunks of fresh random
examples, until it has run `--examples` examples (default: $WIKIPOLL_FUZZ_EXAMPLES, else 10,000)
or used its share of the time left (the time a property leaves unused goes to the next ones). At
`--max-seconds` the run stops wherever it is, even while hypothesis is shrinking a failure, and
reports the failing input it had. It prints, per property, how many examples ran and whether one
failed, and exits 1 when any failed (0 otherwise, also when the time bound cut a property short;
2 on a bad argument). The regression tests of the bugs found (`test_bug_*`) are left to pytest.
"""

from __future__ import annotations

import argparse
import functools
import os
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path[:0] = [str(TESTS.parent), str(TESTS)]

import test_properties  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable, UnsatisfiedAssumption  # noqa: E402

SHRINK_RESERVE_SECONDS = 60.0  # shrink a failure only when this much time is left
FIRST_CHUNK = 20  # examples run to measure how long one takes
MAX_CHUNK = 1_000


class TimeUp(KeyboardInterrupt):
    """The wall-clock bound: a KeyboardInterrupt, which hypothesis lets through at once."""


@dataclass
class Outcome:
    name: str
    target: int
    examples: int = 0  # inputs the property ran on (assumed-away inputs not counted)
    seconds: float = 0.0
    failure: str = ""  # the error and its (shrunk) failing input, when one failed
    first_failing: str = ""  # the first failing input, before shrinking
    stopped: str = ""  # why it stopped before its target, when it did

    @property
    def status(self) -> str:
        if self.failure:
            return "FAILED"
        if self.examples >= self.target:
            return "passed"
        return f"passed so far ({self.stopped})"


def _counted(body, outcome: Outcome):
    """The property's body, counting the inputs it ran on and keeping the first failing one."""

    @functools.wraps(body)
    def run(**kwargs):
        try:
            body(**kwargs)
        except UnsatisfiedAssumption:
            raise
        except Exception as error:
            outcome.examples += 1
            if not outcome.first_failing:
                shown = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
                outcome.first_failing = f"{type(error).__name__}: {error}\n  input: {shown[:2000]}"
            raise
        outcome.examples += 1

    return run


def fuzz_property(outcome: Outcome, until: float, deadline: float, base_seed: int | None) -> None:
    """Run one property in chunks until its target number of examples or the time `until`."""
    name, target = outcome.name, outcome.target
    strategies, body = test_properties.PROPERTIES[name]
    test_body = _counted(body, outcome)
    started = time.monotonic()
    seconds_per_example = 0.0  # measured after each chunk; the first chunk is small to measure it
    chunk_number = 0
    try:
        while outcome.examples < target:
            now = time.monotonic()
            if now >= until:
                outcome.stopped = "its share of --max-seconds used"
                break
            if seconds_per_example:  # a chunk of at most a minute, and half the time left
                affordable = int(min((until - now) / 2, 60.0) / seconds_per_example)
            else:
                affordable = FIRST_CHUNK
            chunk = max(5, min(MAX_CHUNK, affordable, target - outcome.examples))
            phases = [Phase.generate, Phase.target]
            if deadline - now > SHRINK_RESERVE_SECONDS:
                phases.append(Phase.shrink)
            test = settings(
                max_examples=chunk,
                deadline=None,
                database=None,
                derandomize=False,
                phases=phases,
                print_blob=True,
                suppress_health_check=list(HealthCheck),
            )(given(**strategies)(test_body))
            if base_seed is not None:
                test = seed(base_seed * 1_000_003 + chunk_number)(test)
            chunk_number += 1
            before, chunk_started = outcome.examples, time.monotonic()
            try:
                test()
            except TimeUp:
                if outcome.first_failing:  # stopped while shrinking: report what failed first
                    outcome.failure = f"(not shrunk) {outcome.first_failing}"
                raise
            except Unsatisfiable:
                outcome.stopped = "no input satisfies its assumptions"
                break
            except Exception as error:
                notes = "\n".join(getattr(error, "__notes__", []))
                outcome.failure = f"{type(error).__name__}: {error}\n{notes}".strip()
                print(f"\n=== {name}: FAILED", file=sys.stderr)
                traceback.print_exc()
                break
            ran = outcome.examples - before
            if ran == 0:
                outcome.stopped = "no input satisfies its assumptions"
                break
            seconds_per_example = max((time.monotonic() - chunk_started) / ran, 1e-4)
    finally:
        outcome.seconds = time.monotonic() - started


def _on_alarm(signum, frame):
    raise TimeUp


def _print_summary(outcomes: list[Outcome], seconds: float) -> None:
    width = max([len(outcome.name) for outcome in outcomes] + [8])
    print(f"\n{'property':<{width}}  {'examples':>9}  {'target':>7}  {'seconds':>8}  status")
    for outcome in outcomes:
        print(
            f"{outcome.name:<{width}}  {outcome.examples:>9,}  {outcome.target:>7,}  "
            f"{outcome.seconds:>8.1f}  {outcome.status}"
        )
    failed = [outcome for outcome in outcomes if outcome.failure]
    for outcome in failed:
        print(f"\n{outcome.name} failed: {outcome.failure}")
    print(
        f"\n{sum(o.examples for o in outcomes):,} examples in {seconds:.0f} s; "
        f"{len(failed)} propert{'y' if len(failed) == 1 else 'ies'} failed"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="wall-clock bound (default 600)"
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=int(os.environ.get("WIKIPOLL_FUZZ_EXAMPLES") or 10_000),
        help="examples per property (default $WIKIPOLL_FUZZ_EXAMPLES, else 10000)",
    )
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", choices=sorted(test_properties.PROPERTIES)
    )
    parser.add_argument("--seed", type=int, help="make the run reproducible")
    args = parser.parse_args(argv)
    if args.max_seconds <= 0 or args.examples <= 0:
        parser.error("--max-seconds and --examples must be positive")

    names = args.only or list(test_properties.PROPERTIES)
    started = time.monotonic()
    deadline = started + args.max_seconds
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, args.max_seconds)
    outcomes: list[Outcome] = []
    try:
        for index, name in enumerate(names):
            share = (deadline - time.monotonic()) / (len(names) - index)
            print(f"{name}: up to {args.examples:,} examples in {share:.0f} s", flush=True)
            outcomes.append(Outcome(name, args.examples))
            fuzz_property(outcomes[-1], time.monotonic() + share, deadline, args.seed)
    except KeyboardInterrupt as interrupt:  # the time bound, or Ctrl-C
        reason = "--max-seconds reached" if isinstance(interrupt, TimeUp) else "interrupted"
        print(
            f"\nstopped: {reason} (a hypothesis line just above about reproducing a failure "
            "with @seed refers to this interruption, not to a failing example)",
            flush=True,
        )
        if outcomes and not outcomes[-1].stopped and outcomes[-1].examples < args.examples:
            outcomes[-1].stopped = reason
        done = {outcome.name for outcome in outcomes}
        outcomes += [
            Outcome(name, args.examples, stopped=reason) for name in names if name not in done
        ]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    _print_summary(outcomes, time.monotonic() - started)
    return 1 if any(outcome.failure for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
