# Production image for the web, worker and beat processes (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# collectstatic needs settings that import cleanly; the real secret comes at run time.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost PORTAL_FIELD_ENCRYPTION_KEY=collectstatic-only \
    python manage.py collectstatic --noinput

RUN useradd --create-home --uid 10001 portal && mkdir -p /app/var && chown -R portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "egps_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "4", "--access-logfile", "-"]
