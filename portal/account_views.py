"""The one account page the portal answers itself: the email address, which people cannot change.

allauth's email management (/accounts/email/) let anyone add any address to their account,
unverified, and make it their login (issue 16): a parent claimed another guardian's address and
read that family's join email. A parent's address comes from the school's records and a member
of staff's from the office, so this page only shows the address and says who changes it.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from school.models import SchoolSettings


@require_GET
@login_required
def email_address(request):
    """Read-only: the address this account signs in with and receives email at."""
    return render(request, "account/email.html", {"settings_row": SchoolSettings.load()})
