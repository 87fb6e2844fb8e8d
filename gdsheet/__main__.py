"""`python -m gdsheet`: the same as the `gdsheet` command."""

from gdsheet.cli import main

raise SystemExit(main())
