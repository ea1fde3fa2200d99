"""R2, the benchmark's reference page: the project's real middleware and base template, one indexed
query, a 20-row table. Every main page is compared with it (bench/run.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from school.models import Pupil


@login_required
def reference(request):
    pupils = Pupil.objects.order_by("mis_id").only("first_name", "last_name", "mis_id", "date_of_birth")[:20]
    return render(request, "benchtools/r2.html", {"pupils": pupils})
