"""A family's data (GOV-4): a guardian's page and JSON download for each of their own children."""

import json

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.reauth import recent_authentication_required
from school.models import SchoolSettings
from school.permissions import children_of, guardian_of

from .familydata import family_record
from .permissions import get_child_for_family_data


@login_required
def family_index(request):
    """The signed-in guardian's children, each with a link to their data."""
    return render(request, "governance/family_index.html", {"children": children_of(request.user).select_related("school_class")})


def _record(request, pupil_id):
    pupil = get_child_for_family_data(request.user, pupil_id)  # 404 for anyone else's child
    return pupil, family_record(pupil=pupil, user=request.user, guardian=guardian_of(request.user))


@login_required
def family_data(request, pupil_id):
    pupil, record = _record(request, pupil_id)
    return render(request, "governance/family_data.html", {"pupil": pupil, "record": record})


@login_required
@recent_authentication_required  # exports carry children's data: a recent sign-in first
def family_data_json(request, pupil_id):
    pupil, record = _record(request, pupil_id)
    payload = {"school": SchoolSettings.load().name, "made_at": timezone.localtime(), **record}
    response = HttpResponse(json.dumps(payload, cls=DjangoJSONEncoder, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="egps-data-{pupil.pk}-{timezone.localdate():%Y-%m-%d}.json"'
    response["Cache-Control"] = "no-store"
    return response
