"""gunicorn settings read by every `gunicorn` started from the project directory: the Docker
image's web service and bench/ (gunicorn loads ./gunicorn.conf.py by default). Production
flags (bind, workers, access log) are on the image's command line, so bench/ keeps its own."""

import gc
import os

# Whether a request came over HTTPS is Django's decision alone (SECURE_PROXY_SSL_HEADER, set only
# with DJANGO_BEHIND_PROXY=1). gunicorn's own default believes X-Forwarded-Proto from 127.0.0.1,
# which would make a forged header from anything on the container's or host's loopback count.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")


def post_worker_init(worker):
    # Django, the URL patterns and the compiled templates are loaded by now and live as long as
    # the worker: freezing them keeps the collector's full passes from walking them in the middle
    # of a request, which is what showed as the slow tail (p99) of light pages.
    gc.freeze()
