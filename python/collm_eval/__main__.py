"""`python -m collm_eval` starts the eval worker (settings from the environment; see worker.py)."""

from .worker import main

main()
