"""A fake Wonde, served over real HTTP on 127.0.0.1, shaped after Wonde's published API reference
(https://docs.wonde.com/docs/api/sync):

- GET /v1.0/schools/{school}/{students|contacts|classes|employees|deletions}, Bearer token (401
  without it, 404 for another school);
- page pagination: `page`, `per_page`, and `meta.pagination` with `next` (a full URL carrying the
  query), `previous`, `more`, `per_page`, `current_page`;
- `include=` adds nested objects as {"data": ...} only when asked for (students: education_details,
  groups, classes, contacts with their `relationship`; contacts and employees: contact_details;
  classes: employees);
- dates as Wonde writes them ({"date": "2018-05-17 00:00:00.000000", "timezone_type": 3, ...});
- deletions filtered by `type` and `updated_after` ("YYYY-MM-DD HH:MM:SS");
- 429 "Too Many Attempts." with Retry-After when rate limited; 500s injected per page.
"""

import datetime as dt
import json
import threading
from urllib.parse import urlencode

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

SCHOOL = "A1930499544"
TOKEN = "wonde-test-token-0f3c"
ENDPOINTS = {"students", "contacts", "classes", "employees", "deletions"}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def wonde_date(value: str | None):
    if not value:
        return None
    return {"date": f"{value} 00:00:00.000000", "timezone_type": 3, "timezone": "Europe/London"}


class FakeWonde:
    def __init__(self):
        self.students = {}  # wonde id -> dict(upn, mis_id, forename, surname, dob, group, leaving_date)
        self.contacts = {}  # wonde id -> dict(mis_id, forename, surname, email, mobile)
        self.links = {}  # student id -> [(contact id, relationship, parental_responsibility)]
        self.classes = {}  # wonde id -> dict(name, employees=[ids])
        self.employees = {}  # wonde id -> dict(forename, surname, email)
        self.deletions = []  # dict(id, type, deleted_at)
        self.requests = []  # (path, query dict) of every request answered
        self.rate_limited = 0  # answer the next n requests with 429
        self.failures = {}  # (endpoint, page) -> how many more times to answer 500
        self._server = None

    # --- building the school ---------------------------------------------------------------

    def add_student(self, wid, *, upn, forename, surname, dob, group, leaving_date=None, mis_id=None):
        self.students[wid] = {
            "upn": upn,
            "mis_id": mis_id or wid.lower(),
            "forename": forename,
            "surname": surname,
            "dob": dob,
            "group": group,
            "leaving_date": leaving_date,
        }
        self.links.setdefault(wid, [])

    def add_contact(self, wid, *, forename, surname, email="", mobile="", mis_id=None):
        self.contacts[wid] = {
            "mis_id": mis_id or f"c{wid.lower()}",
            "forename": forename,
            "surname": surname,
            "email": email,
            "mobile": mobile,
        }

    def link(self, student, contact, relationship="Mother", responsible=True):
        self.links[student] = [x for x in self.links[student] if x[0] != contact] + [(contact, relationship, responsible)]

    def unlink(self, student, contact):
        self.links[student] = [x for x in self.links[student] if x[0] != contact]

    def remove_student(self, wid, deleted_at="2026-12-04 09:00:00"):
        self.students.pop(wid)
        self.links.pop(wid, None)
        self.deletions.append({"id": wid, "type": "student", "deleted_at": deleted_at})

    # --- records as Wonde writes them ------------------------------------------------------

    def _contact_details(self, email, mobile):
        return {
            "data": {
                "emails": {"email": email or None, "primary": email or None, "home": email or None, "work": None},
                "telephones": {
                    "phone": mobile or None,
                    "primary": mobile or None,
                    "home": None,
                    "work": None,
                    "mobile": mobile or None,
                },
                "salutation": None,
            }
        }

    def _contact(self, wid, includes):
        c = self.contacts[wid]
        record = {
            "id": wid,
            "upi": f"upi-{wid}",
            "mis_id": c["mis_id"],
            "title": "Ms",
            "initials": c["forename"][:1],
            "forename": c["forename"],
            "surname": c["surname"],
            "legal_forename": c["forename"],
            "legal_surname": c["surname"],
            "created_at": wonde_date("2026-09-01"),
            "updated_at": wonde_date("2026-09-01"),
        }
        if "contact_details" in includes:
            record["contact_details"] = self._contact_details(c["email"], c["mobile"])
        return record

    def _student(self, wid, includes):
        s = self.students[wid]
        record = {
            "id": wid,
            "upi": f"upi-{wid}",
            "mis_id": s["mis_id"],
            "initials": s["forename"][:1] + s["surname"][:1],
            "surname": s["surname"],
            "forename": s["forename"],
            "legal_surname": s["surname"],
            "legal_forename": s["forename"],
            "gender": "X",
            "date_of_birth": wonde_date(s["dob"]),
            "created_at": wonde_date("2026-09-01"),
            "updated_at": wonde_date("2026-09-01"),
        }
        if "education_details" in includes:
            record["education_details"] = {
                "data": {
                    "upn": s["upn"],
                    "admission_date": wonde_date("2024-09-01"),
                    "leaving_date": wonde_date(s["leaving_date"]),
                }
            }
        if "groups" in includes:
            group = {"id": f"G-{s['group']}", "name": s["group"], "type": "REGISTRATION", "code": s["group"][:3]}
            record["groups"] = {"data": [group]}
        if "classes" in includes:
            record["classes"] = {
                "data": [{"id": cid, "name": c["name"]} for cid, c in self.classes.items() if c["name"] == s["group"]]
            }
        if "contacts" in includes:
            contacts = []
            for cid, relationship, responsible in self.links.get(wid, []):
                contact = self._contact(cid, ())
                contact["relationship"] = {
                    "relationship": relationship,
                    "bill_payer": False,
                    "email_bills": False,
                    "copy_bills": False,
                    "lives_with_pupil": True,
                    "pupil_report": True,
                    "parental_responsibility": responsible,
                    "court_order": False,
                    "priority": 1,
                }
                contacts.append(contact)
            record["contacts"] = {"data": contacts}
        return record

    def _records(self, endpoint, includes, query):
        if endpoint == "students":
            return [self._student(w, includes) for w in sorted(self.students)]
        if endpoint == "contacts":
            return [self._contact(w, includes) for w in sorted(self.contacts)]
        if endpoint == "classes":
            found = []
            for wid in sorted(self.classes):
                record = {"id": wid, "mis_id": wid.lower(), "name": self.classes[wid]["name"], "code": wid, "description": ""}
                if "employees" in includes:
                    record["employees"] = {"data": [self._employee(e, ()) for e in self.classes[wid]["employees"]]}
                found.append(record)
            return found
        if endpoint == "employees":
            return [self._employee(w, includes) for w in sorted(self.employees)]
        after = query.get("updated_after", "")
        return [d for d in self.deletions if d["type"] == query.get("type", d["type"]) and d["deleted_at"] >= after]

    def _employee(self, wid, includes):
        e = self.employees[wid]
        record = {"id": wid, "mis_id": wid.lower(), "forename": e["forename"], "surname": e["surname"], "title": "Mx"}
        if "contact_details" in includes:
            record["contact_details"] = self._contact_details(e["email"], "")
        return record

    # --- HTTP ------------------------------------------------------------------------------

    def _json(self, body, status=200, headers=None):
        return Response(json.dumps(body), status=status, headers=headers or {}, content_type="application/json")

    def __call__(self, environ, start_response):
        request = Request(environ)
        response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request):
        query = request.args.to_dict()
        self.requests.append((request.path, query))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._json({"error": "Unauthenticated."}, 401)
        if self.rate_limited > 0:
            self.rate_limited -= 1
            return self._json({"error": "Too Many Attempts."}, 429, {"Retry-After": "0", "X-RateLimit-Remaining": "0"})
        parts = request.path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v1.0", "schools"]:
            return self._json({"error": "Not found"}, 404)
        school, endpoint = parts[2], parts[3]
        if school != SCHOOL:
            return self._json({"error": "School not found or not approved"}, 404)
        if endpoint not in ENDPOINTS:
            return self._json({"error": "Not found"}, 404)
        try:
            page = max(int(query.get("page", 1)), 1)
            per_page = min(max(int(query.get("per_page", 50)), 1), 200)
        except ValueError:
            return self._json({"error": "validation_error", "error_description": "page and per_page are numbers"}, 422)
        if self.failures.get((endpoint, page), 0) > 0:
            self.failures[(endpoint, page)] -= 1
            return self._json({"error": "Server Error"}, 500)
        includes = {i for i in query.get("include", "").split(",") if i}
        records = self._records(endpoint, includes, query)
        chunk = records[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(records)
        base = request.base_url

        def url(p):
            return f"{base}?{urlencode({**query, 'page': p})}"

        meta = {
            "pagination": {
                "next": url(page + 1) if more else None,
                "previous": url(page - 1) if page > 1 else None,
                "more": more,
                "per_page": per_page,
                "current_page": page,
            },
            "includes": sorted(includes),
        }
        return self._json({"data": chunk, "meta": meta})

    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_port}/v1.0"

    def stop(self):
        self._server.shutdown()

    def asked(self, endpoint) -> list[dict]:
        """The queries of the requests made to one endpoint."""
        return [q for path, q in self.requests if path.endswith(f"/{endpoint}")]


def today_iso() -> str:
    return dt.date.today().isoformat()
