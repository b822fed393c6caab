"""Baseline for the worker: a job that does nothing, so a worker's jobs per second is RQ's own cost."""


def noop(*_args) -> None:
    return None
