"""Returns from partners in Excel: `annualreport returns make` writes the workbooks, `returns collect` reads them back."""
