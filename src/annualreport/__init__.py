"""annualreport: reproducible annual reports for children's safeguarding partnerships in England.

The pipeline: params (partnership, year) + data (national statistics) -> one indicator store
-> chapter notebooks executed by papermill -> a Quarto book project -> HTML and PDF.
"""

__version__ = "0.1.0"
