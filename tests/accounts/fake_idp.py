"""Fake Microsoft Entra ID and Google identity providers: a real HTTP server on 127.0.0.1.

It serves what allauth and the portal fetch, as the vendors do: OIDC discovery and signing keys
(JWKS), the authorize endpoint (redirects back with a code and the state, remembering the PKCE
challenge), the token endpoint (checks client secret, redirect URI and PKCE verifier, answers
with an access token and an RS256-signed ID token), Microsoft Graph's /v1.0/me and Google's
userinfo. The vendors' hostnames are reached through `forwarding_session()`: a requests session
whose transport sends https://login.microsoftonline.com/... to this server (and refuses any other
host), so allauth's own HTTP code runs unchanged and nothing goes to the internet.

A browser test instead points allauth's Microsoft app at the fake directly (its documented
`login_url` / `graph_url` app settings, http://127.0.0.1:<port>/<vendor host>), so Chromium can
reach the authorize page; the fake then names itself by that address in discovery and tokens.

A test says who signs in at the provider next with `idp.sign_in_as(...)`.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.adapters import HTTPAdapter

MICROSOFT_LOGIN = "login.microsoftonline.com"
MICROSOFT_GRAPH = "graph.microsoft.com"
GOOGLE_ACCOUNTS = "accounts.google.com"
GOOGLE_OAUTH2 = "oauth2.googleapis.com"
GOOGLE_APIS = "www.googleapis.com"
VENDOR_HOSTS = (MICROSOFT_LOGIN, MICROSOFT_GRAPH, GOOGLE_ACCOUNTS, GOOGLE_OAUTH2, GOOGLE_APIS)
FORWARDED_HEADER = "X-Fake-IdP-Forwarded"
# Personal Microsoft accounts (outlook.com, hotmail.com) all sign in under this tenant ID.
MICROSOFT_CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FakeIdentityProvider:
    def __init__(self, *, clients: dict[str, str]):
        self.clients = clients  # client_id -> secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.next_identity: dict | None = None
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (method, host/path) of every request served
        self.sign_with = self.key  # a test may swap in another key to forge a token
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ---

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    # --- what tests set ---

    def sign_in_as(self, **identity):
        """Who signs in at the provider's page next: `claims` for the ID token (merged over the
        defaults) and `profile` for Microsoft Graph's /me or Google's userinfo."""
        self.next_identity = identity

    # --- the provider's side ---

    def jwks(self) -> dict:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self.kid,
                    "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": _b64(numbers.e.to_bytes(3, "big")),
                }
            ]
        }

    def _authorize(self, vendor: str, tenant: str | None, query: dict, base: str = "") -> tuple[int, dict, bytes]:
        if query.get("client_id") not in self.clients or query.get("response_type") != "code":
            return 400, {}, b'{"error": "invalid_request"}'
        if self.next_identity is None:
            return 400, {}, b'{"error": "nobody signed in at the fake provider"}'
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "vendor": vendor,
            "tenant": tenant,
            "client_id": query["client_id"],
            "redirect_uri": query.get("redirect_uri"),
            "code_challenge": query.get("code_challenge"),
            "code_challenge_method": query.get("code_challenge_method"),
            "nonce": query.get("nonce"),
            "scope": query.get("scope", ""),
            "identity": self.next_identity,
            "base": base,
        }
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, {"Location": location}, b""

    def _token(self, vendor: str, form: dict, auth_header: str | None) -> tuple[int, dict, bytes]:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if auth_header and auth_header.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth_header[6:]).decode().partition(":")
        grant = self.codes.pop(form.get("code", ""), None)
        if grant is None or grant["vendor"] != vendor or form.get("grant_type") != "authorization_code":
            return 400, {}, b'{"error": "invalid_grant"}'
        if self.clients.get(client_id) != secret or client_id != grant["client_id"]:
            return 401, {}, b'{"error": "invalid_client"}'
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return 400, {}, b'{"error": "invalid_grant", "error_description": "redirect_uri"}'
        if grant["code_challenge"]:
            verifier = form.get("code_verifier", "")
            if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
                return 400, {}, b'{"error": "invalid_grant", "error_description": "PKCE"}'
        identity = grant["identity"]
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = identity
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "scope": grant["scope"]}
        if "openid" in grant["scope"].split():
            body["id_token"] = self._id_token(vendor, grant, identity)
        return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()

    def _id_token(self, vendor: str, grant: dict, identity: dict) -> str:
        now = int(time.time())
        claims = {"aud": grant["client_id"], "iat": now, "nbf": now, "exp": now + 3600}
        if vendor == "microsoft":
            tid = identity.get("claims", {}).get("tid", grant["tenant"])
            claims |= {"iss": f"{grant['base']}/{tid}/v2.0", "tid": tid, "ver": "2.0"}
        else:
            claims |= {"iss": "https://accounts.google.com", "azp": grant["client_id"]}
        if grant["nonce"]:
            claims["nonce"] = grant["nonce"]
        claims |= identity.get("claims", {})
        return jwt.encode(claims, self.sign_with, algorithm="RS256", headers={"kid": self.kid})

    def _profile(self, auth_header: str | None) -> tuple[int, dict, bytes]:
        identity = self.tokens.get((auth_header or "").removeprefix("Bearer "))
        if identity is None:
            return 401, {}, b'{"error": {"code": "InvalidAuthenticationToken", "message": "Access token is invalid."}}'
        return 200, {"Content-Type": "application/json"}, json.dumps(identity.get("profile", {})).encode()

    def public_base(self, host: str, forwarded: bool) -> str:
        """How the caller addressed this host: https://<vendor host> through forwarding_session(),
        or http://127.0.0.1:<port>/<vendor host> when configured directly (a browser test)."""
        return f"https://{host}" if forwarded else f"http://127.0.0.1:{self.port}/{host}"

    def handle(self, method: str, host: str, path: str, query: dict, form: dict, headers) -> tuple[int, dict, bytes]:
        self.requests.append((method, f"{host}{path}"))
        forwarded = headers.get(FORWARDED_HEADER) == "1"
        parts = path.strip("/").split("/")
        as_json = {"Content-Type": "application/json"}
        if host == MICROSOFT_LOGIN and len(parts) >= 2:
            tenant, rest = parts[0], "/".join(parts[1:])
            login_base = self.public_base(MICROSOFT_LOGIN, forwarded)
            base = f"{login_base}/{tenant}"
            if rest == "v2.0/.well-known/openid-configuration" and method == "GET":
                doc = {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "userinfo_endpoint": f"{self.public_base(MICROSOFT_GRAPH, forwarded)}/oidc/userinfo",
                    "id_token_signing_alg_values_supported": ["RS256"],
                }
                return 200, as_json, json.dumps(doc).encode()
            if rest == "discovery/v2.0/keys" and method == "GET":
                return 200, as_json, json.dumps(self.jwks()).encode()
            if rest == "oauth2/v2.0/authorize" and method == "GET":
                return self._authorize("microsoft", tenant, query, login_base)
            if rest == "oauth2/v2.0/token" and method == "POST":
                return self._token("microsoft", form, headers.get("Authorization"))
        if host == MICROSOFT_GRAPH and path == "/v1.0/me" and method == "GET":
            return self._profile(headers.get("Authorization"))
        if host == GOOGLE_ACCOUNTS and path == "/.well-known/openid-configuration":
            doc = {
                "issuer": "https://accounts.google.com",
                "authorization_endpoint": f"https://{GOOGLE_ACCOUNTS}/o/oauth2/v2/auth",
                "token_endpoint": f"https://{GOOGLE_OAUTH2}/token",
                "userinfo_endpoint": f"https://{GOOGLE_APIS}/oauth2/v2/userinfo",
                "jwks_uri": f"https://{GOOGLE_APIS}/oauth2/v3/certs",
            }
            return 200, as_json, json.dumps(doc).encode()
        if host == GOOGLE_ACCOUNTS and path == "/o/oauth2/v2/auth" and method == "GET":
            return self._authorize("google", None, query)
        if host == GOOGLE_OAUTH2 and path == "/token" and method == "POST":
            return self._token("google", form, headers.get("Authorization"))
        if host == GOOGLE_APIS and path == "/oauth2/v3/certs":
            return 200, as_json, json.dumps(self.jwks()).encode()
        if host == GOOGLE_APIS and path == "/oauth2/v2/userinfo":
            return self._profile(headers.get("Authorization"))
        return 404, as_json, b'{"error": "not_found"}'

    def _handler_class(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                url = urlsplit(self.path)
                host, _, path = url.path.lstrip("/").partition("/")  # forwarded as /<vendor host>/<path>
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()} if length else {}
                status, headers, body = idp.handle(self.command, host, "/" + path, query, form, self.headers)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, *args):  # quiet test output
                pass

        return Handler


class _ForwardToFake(HTTPAdapter):
    """Transport for the vendors' hosts: the same request, sent to the fake server instead."""

    def __init__(self, port: int):
        super().__init__()
        self.port = port

    def send(self, request, **kwargs):
        url = urlsplit(request.url)
        request.url = f"http://127.0.0.1:{self.port}/{url.hostname}{url.path}" + (f"?{url.query}" if url.query else "")
        request.headers[FORWARDED_HEADER] = "1"
        return super().send(request, **kwargs)


class _NoInternet(HTTPAdapter):
    def send(self, request, **kwargs):
        raise requests.ConnectionError(f"tests do not reach the internet: {request.url}")


def forwarding_session(idp: FakeIdentityProvider) -> requests.Session:
    session = requests.Session()
    session.mount("http://", _NoInternet())
    session.mount("https://", _NoInternet())
    for host in VENDOR_HOSTS:
        session.mount(f"https://{host}/", _ForwardToFake(idp.port))
    return session
