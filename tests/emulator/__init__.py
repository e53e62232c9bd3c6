"""Tests of the Sheets emulator (a package so its conftest does not shadow tests/conftest.py)."""
