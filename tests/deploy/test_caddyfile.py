"""The Caddyfile checked by Caddy itself (`caddy validate`, `caddy adapt`; Debian's package:
`apt-get install caddy`). The request path through Caddy is in test_compose_commands.py."""

import json
import os
import shutil
import subprocess

import pytest

from .conftest import REPO, service_env_base

CADDYFILE = REPO / "Caddyfile"


def caddy(*arguments: str) -> subprocess.CompletedProcess:
    if not shutil.which("caddy"):
        if os.environ.get("EGPS_REQUIRE_CADDY") == "1":
            pytest.fail("EGPS_REQUIRE_CADDY=1 but caddy is not installed (apt-get install caddy)")
        pytest.skip("caddy is not installed (apt-get install caddy)")
    env = {**service_env_base(), "PORTAL_DOMAIN": "portal.school.example"}
    command = ["caddy", *arguments, "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_caddy_validates_the_caddyfile():
    result = caddy("validate")
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def _handlers(node):
    """Every handler object anywhere in Caddy's JSON config."""
    if isinstance(node, dict):
        if "handler" in node:
            yield node
        for value in node.values():
            yield from _handlers(value)
    elif isinstance(node, list):
        for value in node:
            yield from _handlers(value)


def test_the_portal_domain_gets_automatic_https_and_is_proxied_to_gunicorn():
    result = caddy("adapt")
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    (server,) = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]  # a named host: Caddy obtains its certificate and redirects :80
    assert "automatic_https" not in server
    assert server["routes"][0]["match"] == [{"host": ["portal.school.example"]}]
    handlers = list(_handlers(server))
    proxies = [handler for handler in handlers if handler["handler"] == "reverse_proxy"]
    assert [upstream["dial"] for proxy in proxies for upstream in proxy["upstreams"]] == ["web:8000"]
    # No header rewriting that would let a client's X-Forwarded-* through or change the Host.
    assert all("headers" not in proxy and "trusted_proxies" not in proxy for proxy in proxies)
    media = [handler for handler in handlers if handler["handler"] == "vars" and handler.get("root") == "/srv/media"]
    assert media, "uploads are served from the media volume"
    assert any(handler["handler"] == "file_server" for handler in handlers)
