"""Tests of gdsheet.reference."""
