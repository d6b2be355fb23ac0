"""Disclosure control and the public folder: suppression, audits, the final gates."""
