"""`python -m dispatch_opt` is `dispatch-opt`."""

from .cli import main

main()
