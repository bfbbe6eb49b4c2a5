"""Forms of the invoicing app (validation only)."""
