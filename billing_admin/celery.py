import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_admin.settings")

app = Celery("billing_admin")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# invoicing's tasks are a package whose __init__ imports nothing (see there): the worker imports each module.
app.conf.imports = [*app.conf.imports, *(f"invoicing.tasks.{m}" for m in ("billing", "credits", "documents",
                                                                           "payments", "receipts"))]

# Redis serves priority 0 first (kombu's steps 0, 3, 6, 9). Each invoice's later stages go ahead of
# the next profile's generation, so an invoice is rendered and mailed soon after it is issued, not
# after the whole day's run, and a run cut short leaves finished invoices behind.
TASK_PRIORITIES = {
    "invoicing.daily_billing": 9,
    "invoicing.generate_invoices": 6,
    "invoicing.generate_invoice": 6,
    "invoicing.render_invoice_pdf": 3,
    "invoicing.email_invoice": 0,
    "invoicing.autocharge_invoice": 0,
}


def route_task(name, args, kwargs, options, task=None, **kw):
    """Add the priority, keeping the default queue (a matched route would otherwise drop it)."""
    if name not in TASK_PRIORITIES:
        return None
    return {"queue": app.conf.task_default_queue, "priority": TASK_PRIORITIES[name]}


@task_prerun.connect
@task_postrun.connect
def close_old_database_connections(sender=None, **kwargs):
    """Around each task on a worker, what Django does around each request: close the database
    connection once CONN_MAX_AGE has passed or after an error left it unusable; otherwise the next
    task reuses it (see CELERY_DB_REUSE_MAX in the settings). Eager tasks run inside their caller's
    request or transaction and leave its connection alone."""
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()
