"""Measured figures of the pipeline: ``python -m benchmarks [--quick]`` (see __main__)."""
