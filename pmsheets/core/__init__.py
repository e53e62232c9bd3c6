"""The pure core: parse raw cells, check them against the policy, build the report models.

Nothing here reads a file, the network or the clock: every function takes its inputs
(raw tables, the as-of time, the policy) and returns values, so the tests feed literals.
"""
