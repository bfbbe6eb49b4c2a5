"""Forms of the profiles app (validation only), one module per area."""
