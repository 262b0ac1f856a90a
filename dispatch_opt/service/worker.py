"""One solve in its own process: `python -m dispatch_opt.service.worker`.

Reads `{"scenario": ..., "params": ...}` on stdin; writes JSON lines on stdout: `{"progress":
...}` as the search improves, then `{"plan": ...}` or `{"error": ...}`. It dies with the server
(the parent-death signal, and a closed pipe), so a server killed mid-solve leaves no solve behind
that could still report `done`."""

from __future__ import annotations

import ctypes
import json
import signal
import sys
import time


def die_with_parent() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the closed pipe still ends the job
        pass


def _send(msg: dict) -> None:
    sys.stdout.write(json.dumps(msg) + "\n")
    sys.stdout.flush()


def main() -> int:
    die_with_parent()
    job = json.loads(sys.stdin.read())
    import dispatch_opt as do

    try:
        scenario = do.load_scenario(job["scenario"])
        params = do.SolveParams(**job["params"])
        last = [0.0]

        def progress(p) -> None:
            if time.monotonic() - last[0] >= 0.5:
                last[0] = time.monotonic()
                _send({"progress": p.__dict__})

        plan = do.solve(scenario, params, on_progress=progress)
        _send({"plan": plan.to_dict()})
    except do.ScenarioError as exc:
        _send({"error": "; ".join(exc.problems)})
    except Exception as exc:  # noqa: BLE001 - reported as the job's error, never a traceback
        _send({"error": f"internal error: {type(exc).__name__}: {exc}"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
