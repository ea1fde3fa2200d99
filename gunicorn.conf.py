"""gunicorn settings read by every `gunicorn` started from the project directory: the Docker
image's web service and bench/ (gunicorn loads ./gunicorn.conf.py by default). Production
flags (bind, workers, access log) are on the image's command line, so bench/ keeps its own."""

import gc
import os
import sys

# Whether a request came over HTTPS is Django's decision alone (SECURE_PROXY_SSL_HEADER, set only
# with DJANGO_BEHIND_PROXY=1). gunicorn's own default believes X-Forwarded-Proto from 127.0.0.1,
# which would make a forged header from anything on the container's or host's loopback count.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")


def post_worker_init(worker):
    # Django, the URL patterns and the compiled templates are loaded by now and live as long as
    # the worker: freezing them keeps the collector's full passes from walking them in the middle
    # of a request, which is what showed as the slow tail (p99) of light pages.
    gc.freeze()
    # A worker's threads share one interpreter lock, handed over every 5 ms by default: while one
    # thread draws a page (tens of ms, once a minute per cached page), a thread serving a cached
    # page waits in 5 ms slices behind it. Handing over every millisecond keeps those quick
    # requests quick (the half-load p99 of bench/run.py) for a little more switching.
    sys.setswitchinterval(0.001)
