"""Run the invoice pipeline in-process for a date: generation, PDF, e-mail."""

from __future__ import annotations

import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invoicing.services.invoices import billing_run


class Command(BaseCommand):
    help = "Bill every active profile whose invoice day is --date (or one --profile), in-process."

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="billing date, YYYY-MM-DD")
        parser.add_argument("--profile", type=int, help="bill only this profile id")
        parser.add_argument("--dry-run", action="store_true", help="show what would be billed, write nothing")

    def handle(self, *args, **options):
        try:
            day = date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"--date must be a date as YYYY-MM-DD, not {options['date']!r}.") from None

        def progress(done: int, total: int) -> None:
            width = 30
            filled = int(width * done / total) if total else width
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} profiles")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        summary = billing_run(day=day, profile_id=options["profile"], dry_run=options["dry_run"], progress=progress)
        for number in summary.made:
            self.stdout.write(f"  {number}")
        if summary.lots_expired:
            self.stdout.write(f"  {summary.lots_expired} credit lot(s) expired")
        for failure in summary.failed:
            self.stderr.write(f"  failed: {failure}")
        self.stdout.write(self.style.SUCCESS(summary.line()) if not summary.failed else summary.line())
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} profile(s) failed; see above.")
