"""A national after-sales network: several service centres, each a generated city."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from ..format.scenario import SCENARIO_FORMAT, ScenarioError
from .catalogue import (
    SLA,
)
from .city import generate_scenario
from .presets import CITIES, NetworkParams


def _shares(total: int, weights: list[float]) -> list[int]:
    want = np.array(weights) / sum(weights) * total
    got = np.floor(want).astype(int)
    got[np.argsort(got - want, kind="stable")[: total - got.sum()]] += 1
    return [max(1, int(x)) for x in got]


def generate_network(params: NetworkParams) -> dict:
    """A contract-v1 scenario of several service centres (haversine travel: a road matrix over
    10,000 locations would not fit in a JSON file). Ids carry the centre: MIL-E001, ROM-T0042."""
    names = [c for c, _ in params.centres]
    unknown = [c for c in names if c not in CITIES]
    if unknown:
        raise ScenarioError(
            [f"centres: got {unknown[0]!r}; fix: use cities from {', '.join(CITIES)}"]
        )
    weights = [w for _, w in params.centres]
    engineers, tickets, depots = [], [], []
    pairs = zip(names, _shares(params.engineers, weights), _shares(params.tickets, weights))
    for i, (city, n_eng, n_tix) in enumerate(pairs):
        p = dataclasses.replace(
            CITIES[city],
            engineers=n_eng,
            tickets=n_tix,
            days=params.days,
            seed=params.seed * 1000 + i,
        )
        sc = generate_scenario(p)
        tag = city[:3].upper()
        for e in sc["engineers"]:
            e["id"] = f"{tag}-{e['id']}"
        for t in sc["tickets"]:
            t["id"] = f"{tag}-{t['id']}"
            if "engineer" in t:
                t["engineer"] = f"{tag}-{t['engineer']}"
        for d in sc["depots"]:
            d["id"] = f"{tag}-{d['id']}"
        engineers += sc["engineers"]
        tickets += sc["tickets"]
        depots += sc["depots"]
    return {
        "format": SCENARIO_FORMAT,
        "name": params.name,
        "sla": copy.deepcopy(SLA),
        "engineers": engineers,
        "tickets": tickets,
        "depots": depots,
    }
