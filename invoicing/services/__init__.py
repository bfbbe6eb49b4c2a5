"""Writes for the invoicing app, one module per area (charges, invoices, credits, payments, pdf, email)."""
