"""The column names UK MIS exports use, mapped onto the portal's own columns.

The office exports from SIMS, Arbor or Bromcom and uploads the file as it comes: headings such as
"Legal Forename", "Reg Group" or "Registration Form" are read as first_name and class. The portal's
own headings (the downloadable templates) keep working. Which kind of file it is (pupils or
parents and carers) is read from the headings too, so a contacts file chosen as "pupils" is
recognised rather than refused.

Headings are compared after normalising (school.imports._header): lower case, spaces and hyphens
as underscores, so "Date of Birth", "date-of-birth" and "DATE OF BIRTH" are one heading.
Every alias is listed in docs/directory.md; keep the two in step.
"""

import hashlib

# For each canonical column, the headings that mean it, most specific first. The first one present
# in a file wins, so a SIMS file with both "Legal Forename" and "Forename" reads the legal name.
PUPIL_ALIASES = {
    "mis_id": [
        "mis_id",
        "upn",  # SIMS, Arbor, Bromcom: the national Unique Pupil Number, the same in every MIS and in Wonde
        "adno",  # SIMS admission number
        "admission_number",
        "student_id",  # Arbor, Bromcom
        "pupil_id",
        "student_mis_id",
        "pupil_mis_id",
    ],
    "first_name": ["first_name", "legal_forename", "legal_first_name", "forename", "student_first_name", "pupil_forename"],
    "last_name": ["last_name", "legal_surname", "legal_last_name", "surname", "student_last_name", "pupil_surname"],
    "date_of_birth": ["date_of_birth", "dob", "birth_date", "student_date_of_birth"],
    "class": [
        "class",
        "reg_group",  # SIMS
        "registration_group",
        "registration_form",  # Arbor
        "reg_form",
        "form",
        "tutor_group",  # Bromcom
        "form_group",
        "class_name",
    ],
    "personal_email": ["personal_email", "student_email", "pupil_email", "student_email_address"],
}

GUARDIAN_ALIASES = {
    "mis_id": ["mis_id", "contact_id", "contact_mis_id", "guardian_id", "contact_person_id", "person_id", "contact_reference"],
    "first_name": [
        "first_name",
        "contact_forename",
        "contact_first_name",
        "contact_legal_forename",
        "forename",
        "legal_forename",
    ],
    "last_name": ["last_name", "contact_surname", "contact_last_name", "contact_legal_surname", "surname", "legal_surname"],
    "email": [
        "email",
        "contact_email",
        "contact_email_address",
        "email_address",
        "primary_email",
        "main_email",
        "home_email",
    ],
    "phone": [
        "phone",
        "contact_mobile",
        "mobile",
        "mobile_phone",
        "mobile_number",
        "contact_telephone",
        "telephone",
        "primary_telephone",
        "home_telephone",
        "phone_number",
    ],
    "pupil_mis_id": [
        "pupil_mis_id",
        "upn",
        "student_upn",
        "pupil_upn",
        "adno",
        "student_adno",
        "student_id",
        "pupil_id",
        "student_mis_id",
    ],
    "relationship": [
        "relationship",
        "contact_relationship",
        "relationship_to_student",
        "relationship_to_pupil",
        "relation",
    ],
    "parental_responsibility": [
        "parental_responsibility",
        "contact_parental_responsibility",
        "has_parental_responsibility",
        "parental_resp",
        "pr",
    ],
}

ALIASES = {"pupils": PUPIL_ALIASES, "guardians": GUARDIAN_ALIASES}

# Headings only a contacts file has: any of these and the file holds parents and carers.
_CONTACT_SIGNS = set(GUARDIAN_ALIASES["relationship"] + GUARDIAN_ALIASES["parental_responsibility"]) | {
    "contact_id",
    "contact_forename",
    "contact_surname",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "guardian_id",
    "pupil_mis_id",
}
# Headings only a pupils file has.
_PUPIL_SIGNS = set(PUPIL_ALIASES["date_of_birth"] + PUPIL_ALIASES["class"]) - {"form"}

LAYOUT_NAMES = {
    "sims": {"adno", "reg_group", "legal_forename", "legal_surname", "contact_forename", "contact_surname"},
    "arbor": {"registration_form", "student_id", "first_name", "last_name"},
    "bromcom": {"tutor_group"},
}


def detect_kind(headers: list[str]) -> str | None:
    """'pupils', 'guardians', or None when the headings say neither."""
    present = set(headers)
    if present & _CONTACT_SIGNS:
        return "guardians"
    if present & _PUPIL_SIGNS:
        return "pupils"
    return None


def canonical_headers(kind: str, headers: list[str]) -> list[str]:
    """`headers` (normalised) with each MIS heading replaced by the portal column it means.

    One heading per canonical column: the most specific alias present wins, and other headings
    that could mean the same column keep their own name (and are ignored by the import)."""
    renamed = list(headers)
    for column, aliases in ALIASES[kind].items():
        if column in headers:
            continue
        for alias in aliases:
            if alias in headers:
                renamed[headers.index(alias)] = column
                break
    return renamed


def derived_id(kind: str, *parts: str) -> str:
    """A stable key for a row whose file has no id column (e.g. a Bromcom list of names and dates).

    The same person in the next export gets the same key, so re-importing still changes nothing."""
    text = "|".join(" ".join(str(p or "").split()).lower() for p in parts)
    prefix = "P-" if kind == "pupils" else "C-"
    return prefix + hashlib.sha256(text.encode()).hexdigest()[:16].upper()
