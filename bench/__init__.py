"""Benchmarks that print numbers (`make bench`); never run inside the test suite."""
