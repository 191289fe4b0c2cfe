"""`python -m contractorcli` runs the `contractor` command."""

from contractorcli.main import main

main()
