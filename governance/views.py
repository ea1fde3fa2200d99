from django.http import Http404
from django.shortcuts import render

from .models import PolicyVersion


def policy(request):
    """COM-6: the policy, its version and its next review date, public to anyone."""
    current = PolicyVersion.objects.current()
    if current is None:
        raise Http404("No policy has been published yet.")
    earlier = PolicyVersion.objects.published().exclude(pk=current.pk)
    paragraphs = [p.strip() for p in current.text.split("\n\n") if p.strip()]
    return render(request, "governance/policy.html", {"policy": current, "paragraphs": paragraphs, "earlier": earlier})
