# The one image of the portal: docker-compose.yml builds it once and runs it as migrate, web
# (gunicorn), worker and beat (Celery). What goes into the build context is listed in
# .dockerignore (an allowlist: no .env, secrets/, var/ or .git can reach a layer).
# Pinned by exact version and digest; raise both deliberately (docs/deployment.md, Updating).
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# collectstatic needs settings that import cleanly; the real secrets come at run time, from files.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost PORTAL_FIELD_ENCRYPTION_KEY=collectstatic-only \
    python manage.py collectstatic --noinput \
    && rm -rf /app/var

# An unprivileged user owns only var/ (beat's schedule; media/ is a volume for uploads such as
# the school logo, created here so the volume starts out owned by this user, not root).
RUN useradd --create-home --uid 10001 --user-group portal \
    && mkdir -p /app/var/media \
    && chown -R portal:portal /app/var
USER portal

EXPOSE 8000
# gunicorn and Celery both shut down gracefully on SIGTERM: requests and tasks in flight finish
# (compose's stop_grace_period gives them the time).
STOPSIGNAL SIGTERM
# Logs go to stdout/stderr (docker compose logs). Bound on all interfaces of the container; the
# compose file publishes no port for it: only the reverse proxy reaches it.
CMD ["gunicorn", "egps_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--graceful-timeout", "30", "--access-logfile", "-", "--error-logfile", "-"]
