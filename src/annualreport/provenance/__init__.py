"""Provenance: the manifest, the code checkout, verification, atomic build swaps."""
