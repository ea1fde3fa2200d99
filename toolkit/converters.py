"""Path converters for the portal's URLs (bounded input, docs/trust-input.md)."""


class TextConverter:
    """A path segment of printable text up to 200 characters: a policy version, a concern's reference,
    a consent scope. Like Django's `str`, but a NUL or other control character (which PostgreSQL
    refuses in a query) or an essay-long segment never reaches a view: the URL simply does not match (404)."""

    regex = r"[^/\x00-\x1f\x7f]{1,200}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
