"""`python -m intervention_engine.cli` runs the command line."""

from . import main

main()
