"""The BigBlueButton API security model, checked against the docs' own example and the fake server."""

import urllib.request

import pytest

from platforms.bigbluebutton import checksum, encode, query_string, signed_query
from tests.platforms.fake_bbb import java_form_encode

# https://docs.bigbluebutton.org/development/api#usage (API Security Model -> Usage): the create
# example, its shared secret and the SHA-1 sum the docs publish for it.
DOCS_QUERY = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
DOCS_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
DOCS_CHECKSUM = "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"


def test_docs_create_example_reproduces_the_published_checksum():
    params = {"name": "Test Meeting", "meetingID": "abc123", "attendeePW": "111222", "moderatorPW": "333444"}

    query = query_string(params)

    assert query == DOCS_QUERY
    assert checksum("create", query, DOCS_SECRET, "sha1") == DOCS_CHECKSUM
    assert signed_query("create", params, DOCS_SECRET, "sha1") == f"{DOCS_QUERY}&checksum={DOCS_CHECKSUM}"


def test_sha256_checksum_is_64_hex_digits():
    assert len(checksum("create", DOCS_QUERY, DOCS_SECRET, "sha256")) == 64


def test_a_query_without_parameters_still_carries_the_checksum():
    assert signed_query("getMeetings", {}, DOCS_SECRET, "sha1") == f"checksum={checksum('getMeetings', '', DOCS_SECRET)}"


@pytest.mark.parametrize("value", ["Zoë O'Brien-Smith", "a~b*c", "100% & more", "Łukasz Żółć", "名前", "a+b=c"])
def test_encoding_matches_what_the_server_re_encodes(value):
    assert encode(value) == java_form_encode(value)


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_fake_server_accepts_each_algorithm_and_rejects_a_wrong_secret(fake_bbb, algorithm):
    good = signed_query("isMeetingRunning", {"meetingID": "x-1"}, "fake-shared-secret-for-tests-0123456789", algorithm)
    bad = signed_query("isMeetingRunning", {"meetingID": "x-1"}, "not-the-secret", algorithm)

    good_body = urllib.request.urlopen(f"{fake_bbb.api_url}/isMeetingRunning?{good}").read()
    bad_body = urllib.request.urlopen(f"{fake_bbb.api_url}/isMeetingRunning?{bad}").read()

    assert b"<returncode>SUCCESS</returncode>" in good_body
    assert b"<messageKey>checksumError</messageKey>" in bad_body
