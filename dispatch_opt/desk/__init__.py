"""The planner's desk: what-ifs as one-liners (whatif.py) and plans compared side by side on a
round budget (compare.py)."""
