from django.apps import AppConfig


class BenchtoolsConfig(AppConfig):
    """Bench-only tooling: the scale seed command and the R2 reference page (benchtools.urls)."""

    name = "benchtools"
    verbose_name = "Benchmark tools"
