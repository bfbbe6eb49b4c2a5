"""Django admin for support engineers, one module per area (owners extend their own module)."""

from invoicing.admin import charges, credits, invoices, payments  # noqa: F401
