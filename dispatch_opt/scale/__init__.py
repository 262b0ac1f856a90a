"""Scale-out: territories, a seed portfolio and a border phase, on Dask (see orchestrate.py)."""

from .orchestrate import rank_key, solve
from .runner import Runner
from .territories import Territory, split, sub_scenario

__all__ = ["Runner", "Territory", "rank_key", "solve", "split", "sub_scenario"]
