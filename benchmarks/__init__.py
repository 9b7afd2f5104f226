"""Benchmarks: how fast Tono is for the people waiting on it, measured, not tested (see BENCHMARKS.md).

Nothing here runs in `make test` except a smoke run of each benchmark with tiny sizes (tests/benchmarks/).
"""
