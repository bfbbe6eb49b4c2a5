"""Writes of the purchases app: the catalogue, purchases and subscriptions."""
