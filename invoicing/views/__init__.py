"""Views of the invoicing app: the Invoices tab and the two credit tabs."""
