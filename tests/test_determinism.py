"""Determinism: the same scenario and seed give the same plan, byte for byte, with time_limit_s=0
(the deterministic insertion path), in one process and across processes with different hash
seeds (set and dict orders must not leak into the plan). The two clock readings in the KPIs,
`solve_s` and `setup_s`, are the only fields left out of the comparison: they measure the run,
not the plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

import dispatch_opt as do

CLOCK = ("solve_s", "setup_s")


def plan_bytes(plan: do.Plan) -> str:
    d = plan.to_dict()
    for key in CLOCK:
        d["kpis"].pop(key, None)
    return json.dumps(d, indent=1)


@pytest.mark.parametrize("name", ["small", "realtime"])
def test_same_scenario_and_seed_give_the_same_plan_byte_for_byte(name):
    path = ROOT / "scenarios" / f"{name}.json"
    runs = [
        plan_bytes(do.solve(do.load_scenario(path), do.SolveParams(time_limit_s=0, seed=7)))
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


SCRIPT = """
import json, sys
import dispatch_opt as do
plan = do.solve(do.load_scenario(sys.argv[1]), do.SolveParams(time_limit_s=0, seed=7)).to_dict()
for key in ("solve_s", "setup_s"):
    plan["kpis"].pop(key, None)
print(json.dumps(plan, indent=1))
"""


def test_the_plan_does_not_depend_on_the_process_hash_seed():
    path = str(ROOT / "scenarios" / "realtime.json")
    runs = [  # side by side: each process spends most of its time starting up
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, path],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        for hash_seed in ("1", "2")
    ]
    outs = []
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert run.returncode == 0, err
        outs.append(out)
    assert outs[0] == outs[1]
