"""`python -m annualreport` runs the command line."""

from .cli import main

main()
