"""Tests of gdsheet.engine."""
