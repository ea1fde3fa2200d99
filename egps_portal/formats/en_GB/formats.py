"""The portal's one date and time style (toolkit/dates.py) for anything rendered without a filter.

Django's own en-GB formats would print a bare datetime as "7 Dec 2026, 2:30 p.m." (12-hour); these
override them (settings FORMAT_MODULE_PATH). Input formats are left to Django's en-GB defaults.
"""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
