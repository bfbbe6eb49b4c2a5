"""Benchmark: the whole invoice run against WeasyPrint alone.

Bills N profiles (5 to 40 lines each) through the real pipeline: invoice generation (each round enqueued
as the daily run enqueues it: batches of consecutive profiles, ``enqueue_invoices``; 320 profiles a round
make 16 full batches of 20), PDF rendering and e-mail to a local SMTP sink (aiosmtpd), executed by a real
Celery worker with two processes (``--worker-processes``) on Redis and PostgreSQL. WeasyPrint alone renders
the same invoices' HTML in two processes (``--alone-processes``) as the pipeline writes them (PDF/A-3b with
the e-invoice XML attached; the HTML and the XML are made before the clock starts), and once more at the end with
WeasyPrint's own user-agent stylesheet. The two alternate in rounds (a batch through the pipeline,
then the same invoices alone), so that both see the same machine. Prints both rates and their ratio, the CPU time per
invoice of the worker's processes against WeasyPrint's own (the cost per invoice, apart from the
cores that PostgreSQL, Redis and the SMTP sink take), per round and in all, and the worker's
resident memory after each round.

The worker is the project's own, started by ``bench/timed_worker.py``, which adds up each pool process's CPU
time by step (WeasyPrint, issuing, HTML, XML, e-mail ...). Its WeasyPrint share against the worker's whole CPU,
in the same processes at the same moments, is the pipeline's own cost without the host's drift: the per-round
comparison with WeasyPrint alone moves by up to 30% between neighbouring rounds on a shared host.

    .venv/bin/python bench/invoice_run.py [--profiles 960] [--rounds 3] [--worker-processes 2]
                                          [--alone-processes 2]
    (env: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_billing;
          BENCH_BROKER_URL, default redis://127.0.0.1:6379/13)

Django is pointed at the bench's own database, broker, mail sink and media at the top of the module
(``common.configure_django``), before the project's modules are imported: settings are read once, at setup.
The worker it starts gets the same environment.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from common import ROOT, configure_django, ensure_database, free_port

DB_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_billing")
BROKER = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
MEDIA = tempfile.mkdtemp(prefix="bench-media-")
WORKER_TIMES = Path(MEDIA) / "worker-times"  # bench/timed_worker.py: each pool process's CPU time by step
SMTP_PORT = free_port()
QUEUE = f"bench-{uuid.uuid4().hex[:8]}"
# Production settings: with DEBUG on, Django keeps every query of a worker process in memory.
configure_django({
    "SECRET_KEY": "bench-" + uuid.uuid4().hex, "ALLOWED_HOSTS": "localhost", "DATABASE_URL": DB_URL,
    "CELERY_BROKER_URL": BROKER, "CELERY_QUEUE": QUEUE, "EMAIL_URL": f"smtp://127.0.0.1:{SMTP_PORT}",
    "MEDIA_ROOT": MEDIA, "LOG_LEVEL": "WARNING",
    # Workers keep their database connection across tasks, as the README advises for production.
    "CONN_MAX_AGE": "300"})

from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from weasyprint import HTML

from billing_admin.celery import app
from billing_admin.core.money import round_money
from invoicing.models import Charge, Invoice
from invoicing.services.einvoice import invoice_einvoice_xml
from invoicing.services.pdf import invoice_html, render_pdf_bytes
from invoicing.tasks.billing import enqueue_invoices
from invoicing.tasks.documents import warm_up_pdf_renderer
from profiles.models import BillingAccount, BillingProfile


def process_tree(pid: int) -> list[int]:
    """A process and its children (the worker's pool)."""
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        children = []
    return [pid, *(int(c) for c in children)]


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB."""
    total = 0
    for p in process_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int, children: bool = True) -> float:
    """User + system CPU time of a process and (unless ``children`` is false) its children, in seconds."""
    total = 0
    for p in process_tree(pid) if children else [pid]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def services_cpu_seconds() -> float:
    """CPU time so far of every PostgreSQL and Redis server process on this machine (they share the cores
    with the workers during the pipeline phase; "WeasyPrint alone" needs neither)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            name = text[text.index("(") + 1:text.rindex(")")]
            if name.startswith(("postgres", "redis-server")):
                fields = text.rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
        except (OSError, ValueError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def worker_steps() -> Counter:
    """CPU seconds so far of each step of the invoice run in the worker's pool processes (bench/timed_worker.py),
    and ``renders``: WeasyPrint's calls."""
    steps = Counter()
    for path in WORKER_TIMES.glob("[0-9]*[0-9]"):  # each file is replaced whole (timed_worker._write)
        spent = json.loads(path.read_text())
        for step, (seconds, calls) in spent.items():
            steps[step] += seconds
            if step == "weasyprint":
                steps["renders"] += calls
    return steps


def render_one(job: tuple) -> float:
    """Render one invoice's HTML as the pipeline writes it (PDF/A-3b, its e-invoice XML attached, the same
    write options); return the CPU seconds it took in this process. The HTML and the XML are made before
    the clock starts: building them is the pipeline's own cost, writing them into the PDF is WeasyPrint's."""
    html, xml, stamp, own_ua = job
    # own_ua: WeasyPrint's own user-agent stylesheet instead of the invoice's trimmed one (the "before").
    html_class = HTML if own_ua else None
    t0 = time.process_time()
    render_pdf_bytes(html, einvoice_xml=xml, stamp=stamp, html_class=html_class)
    return time.process_time() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=960)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker-processes", type=int, default=2,
                        help="the Celery worker's pool processes (--concurrency)")
    parser.add_argument("--alone-processes", type=int, default=2, help="WeasyPrint alone's processes")
    args = parser.parse_args()
    random.seed(args.seed)

    ensure_database(DB_URL)

    # WeasyPrint alone: its processes forked now (no thread and no database connection yet), each warmed when
    # it starts by what a worker's pool process runs then (Celery's worker_process_init hook).
    pool = multiprocessing.get_context("fork").Pool(args.alone_processes, initializer=warm_up_pdf_renderer)



    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            Sink.received += 1
            return "250 OK"

    smtp = Controller(Sink(), hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    account = BillingAccount.objects.create(name="Bench B.V.", country="NL", sold_to_address="Bench 1", tax_rate=21)
    profiles = BillingProfile.objects.bulk_create([
        BillingProfile(account=account, name=f"Dept {i:05d}", currency="EUR", bill_to_address="Street 1\nCity",
                       contact_name="Finance", contact_email=f"finance{i}@example.com", po_number=f"PO-{i:05d}")
        for i in range(args.profiles)])

    charges = []
    for profile in profiles:
        for j in range(random.randint(5, 40)):
            qty, price = Decimal(random.randint(1, 500)), Decimal(random.randint(1, 99999)) / 1000
            charges.append(Charge(profile=profile, product=f"SKU-{j:03d}", description=f"Cloud service {j}",
                                  quantity=qty, unit_price=price, amount=round_money(qty * price, "EUR"),
                                  currency="EUR", service_period_start=date(2026, 10, 1),
                                  service_period_end=date(2026, 10, 31)))
    Charge.objects.bulk_create(charges, batch_size=5000)

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # statistics as a production database has them; no autovacuum mid-run
    print(f"profiles: {len(profiles)}, invoice lines: {len(charges)} "
          f"({len(charges) / len(profiles):.1f} per invoice)")


    app.conf.broker_url, app.conf.task_default_queue, app.conf.task_always_eager = BROKER, QUEUE, False
    log = open(Path(MEDIA) / "worker.log", "wb")  # noqa: SIM115
    WORKER_TIMES.mkdir()
    worker = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "timed_worker.py"), f"--concurrency={args.worker_processes}",
         "--pool=prefork", "-Q", QUEUE, "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
         "-n", f"{QUEUE}@%h"], cwd=ROOT, env={**os.environ, "BENCH_WORKER_TIMES": str(WORKER_TIMES)},
        stdout=log, stderr=subprocess.STDOUT)
    # Ready when the pool processes have started and warmed their renderer: the worker's CPU time stands
    # still (the WeasyPrint-alone processes are warmed the same way).
    time.sleep(2)
    last = -1.0
    while (now := cpu_seconds(worker.pid)) != last and worker.poll() is None:
        last = now
        time.sleep(0.5)

    def jobs_for(batch) -> list[tuple]:
        invoices = Invoice.objects.filter(profile__in=batch).order_by("pk")
        return [(invoice_html(inv), invoice_einvoice_xml(inv),
                 datetime.combine(inv.issue_date, datetime.min.time()), False) for inv in invoices]

    # Rounds: the pipeline bills a batch of profiles, then WeasyPrint alone renders that batch's invoices,
    # then the next batch. Interleaved, both sides see the same machine (a shared host's speed drifts by
    # tens of per cent over minutes); each side hands out one invoice at a time to its processes.
    batches = [profiles[i::args.rounds] for i in range(args.rounds)]
    rounds, all_jobs, done_target = [], [], 0
    try:
        for batch in batches:
            done_target += len(batch)
            cpu0, main0 = cpu_seconds(worker.pid), cpu_seconds(worker.pid, children=False)
            steps0 = worker_steps()
            services0, own0, t0 = services_cpu_seconds(), time.process_time(), time.perf_counter()
            enqueue_invoices([profile.pk for profile in batch], date(2026, 11, 1))  # as the daily run does
            # Watch the SMTP sink (no query that would add to the database's load), then wait for the commits.
            while Sink.received < done_target and worker.poll() is None:
                time.sleep(0.02)
            while Invoice.objects.filter(email_status="sent").count() < done_target and worker.poll() is None:
                time.sleep(0.01)
            pipe_wall = time.perf_counter() - t0
            # The pool processes write their steps' times after each task, just after its commit.
            deadline = time.monotonic() + 10
            while (steps := worker_steps())["renders"] - steps0["renders"] < len(batch) and time.monotonic() < deadline:
                time.sleep(0.01)
            if steps["renders"] - steps0["renders"] < len(batch):
                print(f"warning: the worker reported {steps['renders'] - steps0['renders']:.0f} of {len(batch)} "
                      f"renders this round; its steps' times are short by the rest")
            pipe_cpu = cpu_seconds(worker.pid) - cpu0
            steps.subtract(steps0)
            main_cpu = cpu_seconds(worker.pid, children=False) - main0
            services_cpu = services_cpu_seconds() - services0
            own_cpu = time.process_time() - own0  # this process: the SMTP sink's thread and the polling
            jobs = jobs_for(batch)
            all_jobs += jobs
            t0, services0 = time.perf_counter(), services_cpu_seconds()
            alone_cpu = sum(pool.imap_unordered(render_one, jobs, chunksize=1))
            alone_wall = time.perf_counter() - t0
            services_alone = services_cpu_seconds() - services0
            rounds.append(dict(n=len(jobs), pipe_wall=pipe_wall, pipe_cpu=pipe_cpu, main_cpu=main_cpu,
                               inside_cpu=steps["weasyprint"], steps=steps,
                               services_cpu=services_cpu, own_cpu=own_cpu, alone_wall=alone_wall,
                               alone_cpu=alone_cpu, services_alone=services_alone,
                               rss=rss_kib(worker.pid)))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        smtp.stop()
    own_ua_cpu = sum(pool.imap_unordered(render_one, [(*job[:3], True) for job in all_jobs], chunksize=1))
    pool.close()
    pool.join()

    made = Invoice.objects.filter(email_status="sent").count()
    print(f"invoices e-mailed: {made} of {len(profiles)} (SMTP sink received {Sink.received}), "
          f"in {len(rounds)} rounds: each bills a batch through the pipeline, then renders the same invoices "
          f"with WeasyPrint alone")
    print("round  invoices  pipeline/s  alone/s  wall ratio  CPU ms pipeline  alone  CPU ratio  worker RSS")
    for i, r in enumerate(rounds, start=1):
        print(f"{i:5d}  {r['n']:8d}  {r['n'] / r['pipe_wall']:10.2f}  {r['n'] / r['alone_wall']:7.2f}  "
              f"{r['alone_wall'] / r['pipe_wall']:10.2f}  {1000 * r['pipe_cpu'] / r['n']:15.0f}  "
              f"{1000 * r['alone_cpu'] / r['n']:5.0f}  {r['pipe_cpu'] / r['alone_cpu']:9.2f}  "
              f"{r['rss'] / 1024:7.0f} MiB")

    def total(key):
        return sum(r[key] for r in rounds)

    n = total("n")
    wall_ratio, cpu_ratio = total("alone_wall") / total("pipe_wall"), total("pipe_cpu") / total("alone_cpu")
    print(f"whole pipeline, {args.worker_processes} worker processes: {n / total('pipe_wall'):.2f} invoices/s; "
          f"WeasyPrint alone, "
          f"{args.alone_processes} processes, same invoices: {n / total('alone_wall'):.2f} invoices/s")
    print(f"ratio pipeline / WeasyPrint alone (wall-clock rate): {wall_ratio:.2f} (goal: at least 0.85; "
          f"median of the rounds {statistics.median(r['alone_wall'] / r['pipe_wall'] for r in rounds):.2f})")
    print(f"worker CPU per invoice: {1000 * total('pipe_cpu') / n:.0f} ms; WeasyPrint alone: "
          f"{1000 * total('alone_cpu') / n:.0f} ms; ratio pipeline / WeasyPrint: {cpu_ratio:.2f} (goal: at most "
          f"1.10; median of the rounds {statistics.median(r['pipe_cpu'] / r['alone_cpu'] for r in rounds):.2f})")
    steps = sum((r["steps"] for r in rounds), Counter())
    inside, rest = steps["weasyprint"], total("pipe_cpu") - steps["weasyprint"]
    print(f"inside the worker's processes, same moments: WeasyPrint {1000 * inside / n:.1f} ms of CPU per invoice "
          f"({steps['renders']} renders), everything else {1000 * rest / n:.1f} ms; worker CPU / its WeasyPrint: "
          f"{total('pipe_cpu') / inside:.3f} (rounds {min(r['pipe_cpu'] / r['inside_cpu'] for r in rounds):.3f}"
          f"-{max(r['pipe_cpu'] / r['inside_cpu'] for r in rounds):.3f}); its WeasyPrint / WeasyPrint alone: "
          f"{inside / total('alone_cpu'):.2f}")
    after = steps["after_issue"] - steps["weasyprint"] - steps["html"] - steps["xml"] - steps["email_message"]
    parts = {"issuing (invoices_generate)": steps["issuing"], "the HTML": steps["html"],
             "the e-invoice XML": steps["xml"], "the e-mail's message": steps["email_message"],
             "storing the PDF, claiming and sending the e-mail": after,
             "the worker's main process (consuming from Redis, handing tasks to the pool)": total("main_cpu"),
             "the rest (Celery in the pool processes, the queues)": total("pipe_cpu") - total("main_cpu")
             - steps["issuing"] - steps["after_issue"]}
    print("everything else, per invoice: " + "; ".join(f"{name} {1000 * cpu / n:.1f} ms"
                                                        for name, cpu in parts.items()))
    # Wall time shares two cores with PostgreSQL, Redis and the SMTP sink; CPU time is the workers' own cost.
    print(f"the cores' other users during the pipeline, per invoice: PostgreSQL and Redis "
          f"{1000 * total('services_cpu') / n:.1f} ms, this bench process (SMTP sink, polling) "
          f"{1000 * total('own_cpu') / n:.1f} ms of CPU; during WeasyPrint alone, PostgreSQL and Redis "
          f"{1000 * total('services_alone') / n:.1f} ms")
    print(f"WeasyPrint alone with its own user-agent stylesheet (before static/invoice/ua.css): "
          f"{1000 * own_ua_cpu / len(all_jobs):.0f} ms of CPU per invoice")


if __name__ == "__main__":
    main()
