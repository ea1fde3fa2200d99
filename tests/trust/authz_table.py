"""GOV-2, SG-3: the written authorization policy, one row per named URL (and method).

Every named URL of the URLconf must appear here (deny by default): tests/trust/test_authorization_matrix.py
walks the URLconf, builds each URL with family A's records (tests/trust/conftest.py's world) and
checks every role's answer against this table. A row reads

    "calls:detail": GET(ok=CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)

roles in `ok` are let through; every other signed-in role gets `denied`; anonymous people are sent
to sign in unless said otherwise; a role named as a keyword gets exactly that outcome.

Outcomes:
  OK          2xx, or a redirect that is not to a sign-in page (GET of a page)
  ALLOWED     a POST was accepted for processing: not 403/404/405/5xx and not a sign-in redirect
  LOGIN       302 to the portal's sign-in page (settings.LOGIN_URL)
  ADMIN_LOGIN 302 to the Django admin's sign-in page
  FORBIDDEN   403;  NOT_FOUND 404;  any other int is that exact status.
"""

import fnmatch

OK = "ok"
ALLOWED = "allowed"
LOGIN = "login"
ADMIN_LOGIN = "admin-login"
FORBIDDEN = 403
NOT_FOUND = 404
METHOD_NOT_ALLOWED = 405

ROLES = ("anonymous", "parent_a", "parent_b", "teacher", "office", "head", "dsl", "ddsl", "superuser")
SIGNED_IN = frozenset(ROLES) - {"anonymous"}
PARENTS = frozenset({"parent_a", "parent_b"})
STAFF = frozenset({"teacher", "office", "head", "dsl", "ddsl"})  # hold a school role (accounts.choices.Role)
KEEPERS = frozenset({"office", "head"})  # keep the directory (DIRECTORY_KEEPERS)
HEAD = frozenset({"head"})  # leadership in this cast (the deputy is not in the matrix)
DSL_TEAM = frozenset({"dsl", "ddsl"})
# Staff who may see child_a: the class A teacher and the whole-school roles (school.permissions).
CHILD_A_STAFF = STAFF
# The one-to-one with child_a: hosted by the teacher, the DSL second staff, the head sees every call.
CALL_STAFF = frozenset({"teacher", "dsl", "head"})
CALL_TEAM = frozenset({"teacher", "dsl"})  # the call's own staff (meeting link and passcode, COM-4)
EVERYONE = frozenset(ROLES)


def rule(method, ok, *, denied=FORBIDDEN, anonymous=LOGIN, allowed=None, data=None, **exact):
    """{role: expected outcome} for one method of one URL."""
    granted = allowed or (OK if method == "GET" else ALLOWED)
    expected = {role: (granted if role in ok else denied) for role in ROLES}
    if "anonymous" not in ok:
        expected["anonymous"] = anonymous
    for group, outcome in exact.items():
        for role in GROUPS.get(group, {group}):
            expected[role] = outcome
    return {"method": method, "expected": expected, "data": data or {}}


GROUPS = {"parents": PARENTS, "staff": STAFF, "dsl_team": DSL_TEAM, "keepers": KEEPERS}


def GET(ok, **kwargs):  # noqa: N802 - reads as the HTTP verb in the table
    return rule("GET", ok, **kwargs)


def POST(ok, **kwargs):  # noqa: N802
    return rule("POST", ok, **kwargs)


# How each URL's arguments are built from the world (attribute paths, or literal values).
KWARGS = {
    "pupil_id": "child_a.pk",
    "class_id": "class_a.pk",
    "call_id": "call.pk",
    "concern_id": "concern.pk",
    "entry_id": "concern_entry.pk",
    "reference": "concern.reference",
    "question_id": "question.pk",
    "message_id": None,  # depends on the URL: see ARGS
    "user_id": "guardian_a.user.pk",
    "role_id": "teacher_role.pk",
    "term_id": "term.pk",
    "closure_id": "closure.pk",
    "absence_id": "absence.pk",
    "pk": "policy_draft.pk",
    "version": "published_policy.version",
    "token": "join_token",
    "scope": "=video_calls",
    "action": "=withdraw",
    "metric": "=logs-missing",
    "key": "=not-a-real-key",
    "uidb36": "=1",
    "kind": "=pupils",
    "run_id": "held_sync_run.pk",
    "change_id": "sync_change.pk",
}
# Arguments that differ by URL.
ARGS = {
    "notifications:message": {"message_id": "outbox_message.pk"},
    "notifications:retry": {"message_id": "failed_message.pk"},
    "notifications:staff_message": {"message_id": "staff_message.pk"},
    "calls:feed": {"token": "feed_token"},
    "governance:overview_section": {"key": "=consent"},  # a per-class section: children's data
}

SIGNED_IN_PAGE = GET(SIGNED_IN)
PUBLIC_PAGE = GET(EVERYONE)

# Admin pages whose superuser answer is not a plain 200 (Django's own rules, not ours).
_SUPERUSER_ONLY = GET({"superuser"}, denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN)
ADMIN_EXCEPTIONS = {
    # allauth's secure_admin_login: anonymous people sign in through allauth (rate limit, MFA);
    # a signed-in person without is_staff is refused.
    "admin:login": GET({"superuser"}, denied=FORBIDDEN, anonymous=LOGIN),
    # Signing out takes a POST; a GET signs nobody out.
    "admin:logout": GET(EVERYONE, superuser=METHOD_NOT_ALLOWED),
    # Read-only admins: audit entries, meeting reports and DSL absences are written by services only.
    "admin:auditlog_logentry_add": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:auditlog_logentry_delete": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:platforms_meetingreport_add": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:platforms_meetingreport_delete": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:safeguarding_dslabsence_add": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    # Issue 16: no secret or address typed in for someone else; the head, deputy and DSL team's
    # accounts (the first stored user is the head) are not changed or deleted in the admin.
    "admin:mfa_authenticator_add": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:account_emailaddress_add": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:auth_user_password_change": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:accounts_user_delete": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    "admin:autocomplete": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=FORBIDDEN),
    # Pupils have no public page to jump to.
    "admin:view_on_site": GET((), denied=ADMIN_LOGIN, anonymous=ADMIN_LOGIN, superuser=NOT_FOUND),
}


TABLE = {
    # --- the portal -------------------------------------------------------------------------
    "home": [SIGNED_IN_PAGE],
    "healthz": [PUBLIC_PAGE],
    # --- allauth: sign-in, sign-out and password pages are public; account pages need a sign-in.
    "account_login": [PUBLIC_PAGE],
    "account_logout": [PUBLIC_PAGE],
    "account_inactive": [PUBLIC_PAGE],
    "account_signup": [PUBLIC_PAGE],  # sign-up is closed: the page says so (portal.adapter)
    "account_reauthenticate": [SIGNED_IN_PAGE],
    "account_email": [SIGNED_IN_PAGE],
    "account_email_verification_sent": [PUBLIC_PAGE],
    "account_change_password": [SIGNED_IN_PAGE],
    "account_set_password": [SIGNED_IN_PAGE],
    "account_reset_password": [PUBLIC_PAGE],
    "account_confirm_login_code": [SIGNED_IN_PAGE],  # no code sign-in pending: back to sign-in
    "account_confirm_email": [PUBLIC_PAGE],
    "account_reset_password_from_key_done": [PUBLIC_PAGE],
    "account_reset_password_from_key": [PUBLIC_PAGE],
    "account_reset_password_done": [PUBLIC_PAGE],
    "mfa_*": [SIGNED_IN_PAGE],
    # Staff sign-in with Microsoft or Google (accounts.sso): not configured in tests, so not there.
    "microsoft_login": [GET((), denied=NOT_FOUND, anonymous=NOT_FOUND)],
    "microsoft_callback": [GET((), denied=NOT_FOUND, anonymous=NOT_FOUND)],
    "google_login": [GET((), denied=NOT_FOUND, anonymous=NOT_FOUND)],
    "google_callback": [GET((), denied=NOT_FOUND, anonymous=NOT_FOUND)],
    "google_login_by_token": [GET((), denied=NOT_FOUND, anonymous=NOT_FOUND)],
    "socialaccount_connections": [SIGNED_IN_PAGE],
    "socialaccount_login_cancelled": [PUBLIC_PAGE],
    "socialaccount_login_error": [GET((), denied=401, anonymous=401)],  # allauth's "sign-in failed" page
    "socialaccount_signup": [GET((), denied=LOGIN)],  # sign-up is closed; no pending sign-in: back to sign-in
    # Nothing to deactivate or show before an authenticator exists (the cast has none).
    "mfa_deactivate_totp": [GET((), denied=NOT_FOUND)],
    "mfa_view_recovery_codes": [GET((), denied=NOT_FOUND)],
    "mfa_download_recovery_codes": [GET((), denied=NOT_FOUND)],
    # --- governance -----------------------------------------------------------------------------
    "governance:policy": [PUBLIC_PAGE],
    "governance:policy_version": [PUBLIC_PAGE],
    "governance:versions_admin": [GET(HEAD)],
    "governance:draft_version": [GET(HEAD)],
    "governance:version_detail": [GET(HEAD)],
    "governance:edit_version": [GET(HEAD)],
    "governance:publish_version": [POST(HEAD)],
    "governance:audit": [GET(KEEPERS | DSL_TEAM)],
    "governance:leavers": [GET(KEEPERS)],
    "governance:retention": [GET(KEEPERS)],
    "governance:family_index": [SIGNED_IN_PAGE],
    "governance:family_data": [GET({"parent_a"}, denied=NOT_FOUND)],
    "governance:family_data_json": [GET({"parent_a"}, denied=NOT_FOUND)],
    "governance:overview": [GET(HEAD)],
    "governance:overview_csv": [GET(HEAD)],
    "governance:overview_list": [GET(HEAD)],
    "governance:overview_section": [GET(HEAD)],
    # --- school directory -----------------------------------------------------------------------
    "school:children": [SIGNED_IN_PAGE],
    "school:child": [GET({"parent_a"}, denied=NOT_FOUND)],
    "school:pupils": [GET(KEEPERS)],
    "school:pupils_csv": [GET(KEEPERS)],
    "school:pupil": [GET(CHILD_A_STAFF, denied=NOT_FOUND)],
    "school:classes": [GET(STAFF)],
    "school:class": [GET(STAFF)],
    "school:guardians": [GET(KEEPERS)],
    "school:guardian_create": [GET(KEEPERS)],
    "school:staff": [GET(KEEPERS)],
    "school:staff_create": [GET(KEEPERS)],
    "school:invite": [POST(KEEPERS)],
    "school:roles": [GET(KEEPERS)],
    "school:role_remove": [POST(KEEPERS)],
    "school:import": [GET(KEEPERS)],
    "school:import_preview": [GET(KEEPERS)],
    "school:import_confirm": [POST(KEEPERS)],
    "school:settings": [GET(KEEPERS)],
    "school:hours": [POST(KEEPERS)],
    "school:term_add": [POST(KEEPERS)],
    "school:term_remove": [POST(KEEPERS)],
    "school:closure_add": [POST(KEEPERS)],
    "school:closure_remove": [POST(KEEPERS)],
    # MIS import templates and the Wonde sync (docs/directory.md): the head and office only.
    "school:import_template": [GET(KEEPERS)],
    "school:sync": [GET(KEEPERS)],
    "school:sync_now": [POST(KEEPERS)],
    "school:sync_run": [GET(KEEPERS)],
    "school:sync_confirm": [POST(KEEPERS)],
    "school:sync_review": [GET(KEEPERS)],
    "school:sync_reviewed": [POST(KEEPERS)],
    # --- notifications --------------------------------------------------------------------------
    "notifications:inbox": [SIGNED_IN_PAGE],
    "notifications:message": [GET({"parent_a"}, denied=NOT_FOUND)],
    "notifications:outbox": [GET(KEEPERS)],
    "notifications:retry": [POST(KEEPERS)],
    "notifications:compose_start": [GET(STAFF)],
    "notifications:compose": [GET(CHILD_A_STAFF)],
    "notifications:staff_messages": [GET(STAFF)],
    # The author and leadership; other staff are not told the message exists.
    "notifications:staff_message": [GET({"teacher", "head"}, office=NOT_FOUND, dsl_team=NOT_FOUND)],
    # --- consent --------------------------------------------------------------------------------
    "consent:family": [GET(PARENTS, denied=NOT_FOUND)],
    "consent:change": [GET({"parent_a"}, denied=NOT_FOUND)],
    "consent:guidance": [SIGNED_IN_PAGE],
    "consent:acknowledge": [POST(SIGNED_IN, data={"document": "parents_document.pk"})],
    "consent:questions": [GET(PARENTS, denied=NOT_FOUND)],
    "consent:question": [GET({"parent_a"}, denied=NOT_FOUND)],
    "consent:classes": [GET(STAFF)],
    "consent:class": [GET(STAFF, denied=NOT_FOUND)],
    "consent:class_csv": [GET(STAFF, denied=NOT_FOUND)],
    "consent:class_remind": [POST(STAFF, denied=NOT_FOUND)],
    # Office and leadership for any pupil, a teacher for their own class: not the DSLs (class B-less teachers).
    "consent:record": [GET({"teacher", "office", "head"}, denied=NOT_FOUND)],
    "consent:send_request": [GET(KEEPERS)],
    "consent:queue": [GET(KEEPERS)],
    "consent:queue_question": [GET(KEEPERS)],
    "consent:outstanding": [GET(KEEPERS)],
    # Issue 19: "Remind these families" on the dashboard: the office and head, who send requests.
    "consent:school_remind": [POST(KEEPERS)],
    # --- calls ----------------------------------------------------------------------------------
    "calls:list": [GET(STAFF)],
    "calls:book": [GET(STAFF)],
    "calls:approvals": [GET(HEAD)],
    "calls:detail": [GET(CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "calls:decide": [POST(HEAD)],
    "calls:tick": [POST(CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "calls:meeting_details": [POST(CALL_TEAM, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    # Issue 16: a missing or foreign link id is a message and a redirect for the call's staff.
    "calls:new_join_link": [POST(CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    # Only for calls on a platform that applies the settings (BigBlueButton); this call is on Teams,
    # so even its host gets 404 here (the BigBlueButton case is in tests/calls).
    "calls:start_as_host": [POST((), denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "calls:change_time": [GET(CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "calls:cancel": [GET(CALL_STAFF, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "calls:family": [SIGNED_IN_PAGE],
    "calls:family_call": [GET({"parent_a"}, denied=NOT_FOUND)],
    "calls:answer": [POST({"parent_a"}, denied=NOT_FOUND)],
    # Issue 19: only the child's own parent with parental responsibility; anyone else is told nothing.
    "calls:put_back": [GET({"parent_a"}, denied=NOT_FOUND)],
    "calls:send_again": [POST({"parent_a"}, denied=NOT_FOUND)],
    "calls:family_join": [POST({"parent_a"}, denied=NOT_FOUND)],
    # The secret token is the key: the page shows nothing of the meeting until the button is pressed.
    "calls:join": [PUBLIC_PAGE],
    "calls:feed_settings": [SIGNED_IN_PAGE],
    "calls:feed_change": [POST(SIGNED_IN)],
    "calls:feed": [PUBLIC_PAGE],
    # --- session logs: staff records; parents and the superuser are not told they exist --------
    "sessionlogs:index": [GET(STAFF, denied=NOT_FOUND)],
    "sessionlogs:call_log": [GET(STAFF, denied=NOT_FOUND)],
    "sessionlogs:correct": [GET(STAFF, denied=NOT_FOUND)],
    "sessionlogs:annotate": [POST(STAFF, denied=NOT_FOUND)],
    "sessionlogs:pupil_history": [GET(CHILD_A_STAFF, denied=NOT_FOUND)],
    "sessionlogs:pupil_history_csv": [GET(CHILD_A_STAFF, denied=NOT_FOUND)],
    "sessionlogs:new_welfare_contact": [GET(CHILD_A_STAFF, denied=NOT_FOUND)],
    "sessionlogs:contact_preference": [GET(CHILD_A_STAFF, denied=NOT_FOUND)],
    # --- safeguarding (SG-3): concern content for the DSL team only; 404 for everyone else ------
    "safeguarding:dashboard": [GET(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:raise": [GET(STAFF)],
    "safeguarding:receipts": [GET(STAFF)],
    "safeguarding:receipt": [GET({"teacher"}, denied=NOT_FOUND, parents=FORBIDDEN, superuser=FORBIDDEN)],
    "safeguarding:concern": [GET(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:correct": [GET(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:chronology": [GET(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:export": [POST(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:availability": [GET(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:end_availability": [POST(DSL_TEAM, denied=NOT_FOUND)],
    "safeguarding:access_log": [GET(DSL_TEAM, denied=NOT_FOUND)],
    # --- platforms: BigBlueButton's server calls back with a signed token; without one, 403 -----
    "platforms:bbb_callback": [GET((), denied=FORBIDDEN, anonymous=FORBIDDEN)],
    # --- the Django admin: only the superuser (is_staff) gets in; it holds no concern content ----
    "admin:*": [_SUPERUSER_ONLY],
}


def rows_for(name: str) -> list[dict]:
    """The table's rows for a URL name: its own entry, else the first matching pattern; [] if none."""
    if name in TABLE:
        return TABLE[name]
    for pattern, rows in TABLE.items():
        if "*" in pattern and fnmatch.fnmatchcase(name, pattern):
            return [ADMIN_EXCEPTIONS.get(name, row) for row in rows]
    return []
