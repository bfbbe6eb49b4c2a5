"""Locust scenario of bench/load.py: signed-in people browsing their billing profiles.

Each simulated person signs in once (user N of the data set bench/load.py builds), makes one write
(the inline PO-number edit of their own profile, through htmx), then keeps reading: the profile
list and its htmx pages, the tabs as full pages and as htmx fragments, and invoice PDF downloads.
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = "bench-pass-2026"
PEOPLE = itertools.count()
PROFILES = [int(p) for p in os.environ["BENCH_PROFILES"].split(",")]  # user N's own profile
INVOICES = {int(k): int(v) for k, v in (pair.split(":") for pair in os.environ["BENCH_INVOICES"].split(","))}
HTMX = {"HX-Request": "true"}


class Person(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        n = next(PEOPLE) % len(PROFILES)
        self.profile = PROFILES[n]
        self.invoice = INVOICES[self.profile]
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        self.client.post("/accounts/login/", name="sign in",
                         data={"username": f"person{n}@bench.example", "password": PASSWORD,
                               "csrfmiddlewaretoken": token})
        # The one write: the inline PO-number edit, as htmx sends it (form, then a valid POST).
        url = f"/billing/profiles/{self.profile}/edit/po-number/"
        self.client.get(url, headers=HTMX, name="edit PO form (htmx)")
        with self.client.post(url, headers={**HTMX, "X-CSRFToken": self.client.cookies.get("csrftoken", "")},
                              data={"po_number": f"PO-LOAD-{n}"}, name="edit PO save (htmx)",
                              catch_response=True) as response:
            if response.status_code != 200 or f"PO-LOAD-{n}" not in response.text:
                response.failure(f"inline edit not saved: {response.status_code}")

    @task(4)
    def profile_list(self):
        self.client.get("/billing/profiles/", name="list")

    @task(2)
    def profile_list_page_htmx(self):
        self.client.get(f"/billing/profiles/?page={random.randint(1, 40)}", headers=HTMX, name="list page (htmx)")

    @task(1)
    def profile_search(self):
        self.client.get(f"/billing/profiles/?q=Dept+{random.randint(0, 999):03d}", headers=HTMX,
                        name="list search (htmx)")

    @task(3)
    def tab(self):
        tab = random.choice(["", "permissions/", "invoices/", "payment-methods/", "credits/", "credit-balance/"])
        self.client.get(f"/billing/profiles/{self.profile}/{tab}", name=f"tab {tab or 'overview/'}")

    @task(3)
    def tab_htmx(self):
        tab = random.choice(["", "permissions/", "invoices/", "payment-methods/", "credits/", "credit-balance/"])
        self.client.get(f"/billing/profiles/{self.profile}/{tab}", headers=HTMX,
                        name=f"tab {tab or 'overview/'} (htmx)")

    @task(1)
    def pdf(self):
        with self.client.get(f"/billing/profiles/{self.profile}/invoices/{self.invoice}/pdf/", name="invoice PDF",
                             catch_response=True) as response:
            if response.status_code == 200 and not response.content.startswith(b"%PDF"):
                response.failure("not a PDF")
