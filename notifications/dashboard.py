"""Dashboard panels and navigation offered by the notifications app."""


def panels(request, now):
    return []


def nav_items(user):
    return []
