"""collm-nas eval worker in Python: serves the `evaluate` activity on the eval task queue.

The activity's contract (request and result) is the one of the TypeScript
worker, checked here against JSON Schemas generated from its zod schemas.
"""

__version__ = "0.1.0"
