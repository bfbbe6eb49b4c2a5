"""Celery tasks of the invoicing app, one module per area. Tasks are thin: ids in, one service call.

The package imports none of its modules (a service may enqueue a task of ``documents`` while
``billing`` imports that service); ``billing_admin.celery`` has the worker import each module.
"""
