"""A small client for Wonde's read API (https://docs.wonde.com/docs/api/sync), the data-sharing
service through which school apps read any UK MIS (SIMS, Arbor, Bromcom, ...).

Only what the directory sync needs: GET a school's list endpoints with includes, following
`meta.pagination.next` until `more` is false, waiting when Wonde answers 429 (rate limited) and
retrying its temporary failures (5xx, timeouts) a few times. Anything else is a WondeError whose
text is safe to show the office (the token never appears in it).

The token is the WONDE_TOKEN setting: the environment, or the secret file named by WONDE_TOKEN_FILE
(Docker/Kubernetes secrets), read at start-up by egps_portal.envfiles; never the database.
"""

import time
from dataclasses import dataclass

import requests
from django.conf import settings

USER_AGENT = "EGPS-Portal directory sync"
TIMEOUT = (5, 60)  # connect, read: a page of 200 students with includes can take a while


class WondeError(Exception):
    """The sync could not read from Wonde; the text says why in plain words."""


class NotConnected(WondeError):
    """The school's Wonde account is not set up in this installation."""


@dataclass(frozen=True)
class WondeConfig:
    api_url: str
    school_id: str
    token: str


def config_from_settings() -> WondeConfig:
    school_id = getattr(settings, "WONDE_SCHOOL_ID", "")
    token = getattr(settings, "WONDE_TOKEN", "")
    if not (school_id and token):
        raise NotConnected("The school's Wonde account is not connected (WONDE_SCHOOL_ID and WONDE_TOKEN are not set).")
    return WondeConfig(api_url=settings.WONDE_API_URL.rstrip("/"), school_id=school_id, token=token)


def is_connected() -> bool:
    try:
        config_from_settings()
    except NotConnected:
        return False
    return True


class WondeClient:
    def __init__(self, config: WondeConfig, *, session=None, retries=None, wait_seconds=None, sleep=time.sleep):
        self.config = config
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {config.token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        )
        self.retries = settings.WONDE_RETRIES if retries is None else retries
        self.wait_seconds = settings.WONDE_RETRY_WAIT_SECONDS if wait_seconds is None else wait_seconds
        self.sleep = sleep
        self.requests_made = 0

    def school_url(self, endpoint: str) -> str:
        return f"{self.config.api_url}/schools/{self.config.school_id}/{endpoint}"

    def get_all(self, endpoint: str, *, include=(), per_page=None, **params) -> list[dict]:
        """Every record of a list endpoint, page after page."""
        query = {**params, "per_page": per_page or settings.WONDE_PER_PAGE}
        if include:
            query["include"] = ",".join(include)
        url, found = self.school_url(endpoint), []
        while url:
            body = self._get(url, query)
            found.extend(body.get("data") or [])
            pagination = (body.get("meta") or {}).get("pagination") or {}
            # `next` already carries the query (page or cursor, includes, per_page).
            url = pagination.get("next") if pagination.get("more") else None
            query = None
        return found

    def _get(self, url, params) -> dict:
        for attempt in range(self.retries + 1):
            last_try = attempt == self.retries
            try:
                response = self.session.get(url, params=params, timeout=TIMEOUT)
            except requests.RequestException as e:
                if last_try:
                    raise WondeError(f"Wonde could not be reached ({type(e).__name__}).") from e
                self.sleep(self.wait_seconds * 2**attempt)
                continue
            self.requests_made += 1
            if response.status_code == 429 and not last_try:
                self.sleep(self._retry_after(response, attempt))
                continue
            if response.status_code >= 500 and not last_try:
                self.sleep(self.wait_seconds * 2**attempt)
                continue
            return self._body(response)
        raise WondeError("Wonde did not answer.")  # not reached: the last try returns or raises

    def _retry_after(self, response, attempt) -> float:
        try:
            wanted = float(response.headers.get("Retry-After", ""))
        except ValueError:
            wanted = self.wait_seconds * 2**attempt
        return min(max(wanted, 0.0), 120.0)

    @staticmethod
    def _body(response) -> dict:
        status = response.status_code
        if status == 401:
            raise WondeError("Wonde refused the token (401). Check WONDE_TOKEN with the school's Wonde dashboard.")
        if status == 403:
            raise WondeError("Wonde says this app may not read that data (403). Ask the school to approve the access request.")
        if status == 404:
            raise WondeError("Wonde does not know this school (404). Check WONDE_SCHOOL_ID.")
        if status == 429:
            raise WondeError("Wonde kept asking us to slow down (429); the next run will try again.")
        if status >= 400:
            raise WondeError(f"Wonde answered with an error ({status}); the next run will try again.")
        try:
            body = response.json()
        except ValueError as e:
            raise WondeError("Wonde's answer was not JSON.") from e
        if not isinstance(body, dict):
            raise WondeError("Wonde's answer was not in the expected shape.")
        return body
