"""The test suite: one import root, `tests.` (shared builders in tests/builders.py, fixtures in tests/conftest.py)."""
