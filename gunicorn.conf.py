"""gunicorn settings read by every `gunicorn` started from the project directory: the Docker
image's web service and bench/ (gunicorn loads ./gunicorn.conf.py by default)."""

import gc


def post_worker_init(worker):
    # Django, the URL patterns and the compiled templates are loaded by now and live as long as
    # the worker: freezing them keeps the collector's full passes from walking them in the middle
    # of a request, which is what showed as the slow tail (p99) of light pages.
    gc.freeze()
