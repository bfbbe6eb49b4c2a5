"""The invoice-run bench's Celery worker: the project's own worker, with the CPU time each pool process spends
in the steps of the invoice run added up, by step, in a file per process under ``$BENCH_WORKER_TIMES``
(JSON: ``{step: [CPU seconds, calls]}``, written after each task).

The steps are WeasyPrint (``render_pdf_bytes``), issuing (``invoices_generate``), the invoice's HTML and its
e-invoice XML, the e-mail's message, and the whole step after issuing (``invoice_render_and_send``: PDF,
storing, claiming and sending). The worker's CPU against WeasyPrint's share of it, measured in the same
processes at the same moments, is the pipeline's own cost per invoice without the host's drift: the
comparison with WeasyPrint alone in other processes, a few seconds apart, moves by up to 30% from one round
to the next on a shared host.

    python bench/timed_worker.py <the arguments of ``celery worker``>
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
django.setup()  # the settings come from the environment the bench passes on (common.configure_django)

from celery.signals import task_postrun, worker_process_init  # noqa: E402

from billing_admin.celery import app  # noqa: E402
from invoicing.services import email, pdf  # noqa: E402
from invoicing.tasks import billing, documents  # noqa: E402

TIMES = Path(os.environ["BENCH_WORKER_TIMES"])
_spent: dict[str, list] = defaultdict(lambda: [0.0, 0])


def _timed(module, name: str, step: str) -> None:
    """Replace ``module.name`` by a wrapper adding its CPU time to ``step`` (the module's callers look the name
    up when they call it)."""
    function = getattr(module, name)

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent = _spent[step]
            spent[0] += time.process_time() - start
            spent[1] += 1

    setattr(module, name, timed)


_timed(pdf, "render_pdf_bytes", "weasyprint")
_timed(billing, "invoices_generate", "issuing")
_timed(pdf, "invoice_html", "html")
_timed(pdf, "invoice_einvoice_xml", "xml")
_timed(email, "build_invoice_email", "email_message")
_timed(documents, "invoice_render_and_send", "after_issue")


@worker_process_init.connect  # after the project's own handler: its warm-up render counts before the first task
@task_postrun.connect
def _write(**kwargs) -> None:
    path = TIMES / str(os.getpid())
    path.with_suffix(".new").write_text(json.dumps(_spent))
    path.with_suffix(".new").replace(path)  # the bench never reads half a file


if __name__ == "__main__":
    app.worker_main(["worker", *sys.argv[1:]])
