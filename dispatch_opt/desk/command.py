"""`dispatch-opt whatif`: a scenario with one or more things changed, written out; with
--compare, both planned on a round budget and printed side by side. Built by `whatif_command`
with the CLI's error guard and console, so this module does not import the CLI."""

from __future__ import annotations

from typing import Any, Callable

import click
from rich.console import Console

from ..engine import search
from ..format.io import load_scenario
from ..format.scenario import ScenarioError
from . import whatif as whatifs
from .compare import DEFAULT_ROUNDS, compare, what_if


def whatif_command(guard: Callable, out: Console, write_json: Callable) -> click.Command:
    """The click command, wrapped in the CLI's `guard` and printing to `out`."""

    @click.command()
    @click.argument("scenario", type=click.Path(dir_okay=False))
    @click.option(
        "--without", help="Engineers off (ids, comma-separated), e.g. two off sick: E03,E07."
    )
    @click.option(
        "--from", "since", help="With --without: off from this local time (default: all)."
    )
    @click.option("--until", help="With --without: back at this local time (default: not back).")
    @click.option("--like", help="One engineer more, a copy of this one (skills, van, shifts).")
    @click.option("--new-id", help="With --like: the new engineer's id (default LIKE-extra).")
    @click.option(
        "--longer-shifts", type=float, help="Minutes every shift ends later (negative: earlier)."
    )
    @click.option("--sla", "sla", help="A tier's promise changed, TIER=HOURS, e.g. urgent=12.")
    @click.option("--parts", help="Parts added to every van, PART=QTY,..., e.g. thermostat=2.")
    @click.option(
        "--compare",
        "compare_",
        is_flag=True,
        help="Also plan SCENARIO and the what-if on --rounds and print them side by side.",
    )
    @click.option(
        "--rounds",
        default=DEFAULT_ROUNDS,
        show_default=True,
        type=click.IntRange(min=1),
        help="With --compare: search rounds per plan (the same table on every run).",
    )
    @click.option("--seed", default=0, show_default=True, type=int)
    @click.option(
        "--fresh",
        is_flag=True,
        help="With --compare: plan the what-if from scratch, not as a re-plan of the base plan.",
    )
    @click.option(
        "-o",
        "--output",
        required=True,
        type=click.Path(dir_okay=False),
        help="Scenario JSON to write.",
    )
    @guard
    def whatif(
        scenario,
        without,
        since,
        until,
        like,
        new_id,
        longer_shifts,
        sla,
        parts,
        compare_,
        rounds,
        seed,
        fresh,
        output,
    ) -> None:
        """Write SCENARIO with one or more things changed (engineers off or one more, shifts, a
        tier's promise, parts on vans); with --compare, plan both and print them side by side."""
        base = load_scenario(scenario)
        try:
            changes = (without, since, until, like, new_id, longer_shifts, sla, parts)
            sc, done = _changed(base, *changes)
        except ScenarioError as exc:  # the what-ifs name their parameters; here, the flags
            raise ScenarioError([_flag_words(p) for p in exc.problems]) from None
        if not done:
            raise ScenarioError(
                [
                    "whatif: nothing to change; fix: give --without, --like, --longer-shifts, "
                    "--sla or --parts"
                ]
            )
        write_json(output, sc.to_dict())
        out.print(f"{output}: {scenario} with {'; '.join(done)}")
        if compare_:
            if not search.compiled_before():
                out.print(
                    "compiling the search core (once after install, about a minute and a half)"
                )
            plans = what_if(base, {"what-if": sc}, rounds=rounds, seed=seed, from_base=not fresh)
            table = compare(plans)
            out.print(table.to_string(float_format=_figure), markup=False)
            moved = table.attrs["changed_hands"]["what-if"]
            if moved:
                out.print(f"changed hands: {', '.join(moved)}", markup=False, soft_wrap=True)
            out.print(
                f"both planned on {rounds} search rounds (seed {seed}): the same table on every "
                "run",
                markup=False,
            )

    return whatif


def _changed(base, without, since, until, like, new_id, longer_shifts, sla, parts):
    """The scenario with the options' changes, in order, and what they were."""
    sc, done = base, []
    if without:
        sc = whatifs.without_engineers(sc, _ids(without), since, until)
        done.append(f"without {without}")
    if like:
        sc = whatifs.with_engineer_like(sc, like, new_id)
        done.append(f"one engineer more like {like}")
    if longer_shifts:
        sc = whatifs.with_longer_shifts(sc, longer_shifts)
        done.append(f"shifts {longer_shifts:+g} min")
    if sla:
        tier, hours = _pair(sla, "--sla", "TIER=HOURS, e.g. urgent=12", float)
        sc = whatifs.with_sla(sc, tier, hours)
        done.append(f"{tier} within {hours:g} h")
    if parts:
        added = dict(_pair(x, "--parts", "PART=QTY, e.g. thermostat=2", int) for x in _ids(parts))
        sc = whatifs.with_parts_on_vans(sc, added)
        done.append("parts on vans: " + ", ".join(f"{p} +{q}" for p, q in added.items()))
    return sc, done


# a what-if's parameter -> the flag one types here
FLAGS = {
    "engineers": "--without",
    "since": "--from",
    "until": "--until",
    "like": "--like",
    "new_id": "--new-id",
    "minutes": "--longer-shifts",
    "tier": "--sla",
    "hours": "--sla",
    "parts": "--parts",
}


def _flag_words(line: str) -> str:
    name, sep, rest = line.partition(":")
    head, dot, tail = name.partition(".")
    return f"{FLAGS[head]}{dot}{tail}{sep}{rest}" if head in FLAGS else line


def _figure(v: float) -> str:
    """Counts as whole numbers, shares with three decimals, minutes and km with one."""
    if float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:.3f}" if abs(v) < 1 else f"{v:,.1f}"


def _ids(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _pair(text: str, flag: str, shape: str, kind) -> tuple[str, Any]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), kind(value)
    except ValueError:
        raise ScenarioError([f"{flag}: got {text!r}; fix: write {shape}"]) from None
