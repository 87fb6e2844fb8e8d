"""Tests of gdsheet.commands."""
