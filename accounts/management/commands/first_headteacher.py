"""Appoint a new school's first headteacher from the server (issue 16: roles are no longer given
in the Django admin, and on the roles page only a headteacher gives the leadership and DSL roles)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts import services


class Command(BaseCommand):
    help = "Give the Headteacher role to the first headteacher (creating and inviting the account if new)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, email, first_name, last_name, **options):
        try:
            user = services.appoint_first_headteacher(email=email, first_name=first_name, last_name=last_name, now=timezone.now())
        except services.AccountError as e:
            raise CommandError(str(e)) from None
        self.stdout.write(f"{user.email} is the headteacher. They give every other role on /school/roles/.")
