"""Tests of gdsheet.writer."""
