from allauth.account.adapter import DefaultAccountAdapter


class PortalAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by the school office, never by public sign-up."""

    def is_open_for_signup(self, request):
        return False
