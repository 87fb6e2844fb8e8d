"""Tests of gdsheet.xlsx."""
