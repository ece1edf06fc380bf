"""Autograding safety: sandboxed kernels, integrity checks, output limits, reports."""
