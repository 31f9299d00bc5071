"""The subscription lifecycle as a pure function: (state, event) -> (state, effects).

INTERFACE (implementation pending).
"""
