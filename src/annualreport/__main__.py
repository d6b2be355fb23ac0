"""`python -m annualreport` runs the command line."""

from annualreport.cli import main

main()
