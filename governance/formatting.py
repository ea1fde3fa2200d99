"""The policy's simple formatting: paragraphs and bullet lists from plain text, never raw HTML.

Heads write the policy in a text box: a blank line starts a new paragraph and a line that
starts with "- ", "* " or "• " is a bullet. Everything the head typed is escaped, so a pasted
<script> shows as text; web addresses become links.
"""

from django.utils.html import format_html, format_html_join, urlize
from django.utils.safestring import SafeString, mark_safe

BULLET_MARKS = ("- ", "* ", "• ")


def _is_bullet(line: str) -> bool:
    return line.lstrip().startswith(BULLET_MARKS)


def _inline(text: str) -> SafeString:
    # urlize with autoescape escapes everything that is not the link it makes.
    return mark_safe(urlize(text, nofollow=True, autoescape=True))  # noqa: S308 - escaped by urlize


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """The text as ("p" | "ul", lines) blocks, in order. A blank line ends every block;
    inside one chunk, consecutive lines of the same kind stay together."""
    found: list[tuple[str, list[str]]] = []
    for chunk in text.replace("\r\n", "\n").split("\n\n"):
        previous_kind = None
        for line in (raw.strip() for raw in chunk.split("\n")):
            if not line:
                continue
            kind = "ul" if _is_bullet(line) else "p"
            item = line[2:].strip() if kind == "ul" else line
            if kind == previous_kind:
                found[-1][1].append(item)
            else:
                found.append((kind, [item]))
            previous_kind = kind
    return found


def render_policy_text(text: str) -> SafeString:
    """Safe HTML for the policy's text (paragraphs and bullet lists only)."""
    parts = []
    for kind, lines in blocks(text):
        if kind == "ul":
            items = format_html_join("", "<li>{}</li>", ((_inline(item),) for item in lines))
            parts.append(format_html("<ul>{}</ul>", items))
        else:
            body = mark_safe("<br>".join(_inline(line) for line in lines))  # noqa: S308 - each line escaped
            parts.append(format_html("<p>{}</p>", body))
    return mark_safe("\n".join(parts))  # noqa: S308 - every part built with format_html
