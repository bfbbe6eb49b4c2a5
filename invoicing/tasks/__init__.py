"""Celery tasks of the invoicing app, one module per area. Tasks are thin: ids in, one service call."""

from invoicing.tasks import billing, credits, payments  # noqa: F401
