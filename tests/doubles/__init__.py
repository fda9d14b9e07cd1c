"""Test doubles shared by tests and benchmarks; never shipped."""
