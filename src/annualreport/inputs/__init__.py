"""Inputs and their checks: params, local data files, narrative, reference tables."""
