"""gunicorn settings for Billing Admin, read from the environment (`make serve`, production).

    GUNICORN_BIND     address to listen on                 (default 127.0.0.1:8000)
    WEB_CONCURRENCY   worker processes                     (default 2 per CPU core + 1)
    GUNICORN_THREADS  threads per worker (gthread)         (default 4)
    GUNICORN_TIMEOUT  seconds before a silent worker is restarted (default 30)

Static files are served by WhiteNoise inside the workers (collected by `manage.py collectstatic`);
invoice PDFs by a permission-checked view. Behind a TLS-terminating proxy, set
FORWARDED_ALLOW_IPS to the proxy's address so X-Forwarded-Proto is believed.
"""

import multiprocessing
import os

wsgi_app = "billing_admin.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle a worker now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
preload_app = True  # import Django once; workers fork from it and share the memory
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# gunicorn's control socket would be one path per user: two servers on one host would collide.
control_socket_disable = True
