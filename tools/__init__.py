"""Course maintenance tools: the nbgrader pipeline, the demo, and the mutation harness."""
