"""Tests of gdsheet.lesson."""
