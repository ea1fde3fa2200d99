"""The policy's simple formatting: paragraphs and bullet lists from plain text, never raw HTML.

Heads write the policy in a text box: a blank line starts a new paragraph and a line that
starts with "- ", "* " or "• " is a bullet. Everything the head typed is escaped, so a pasted
<script> shows as text; web addresses become links.
"""

from django.template.defaultfilters import urlize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BULLET_MARKS = ("- ", "* ", "• ")
LINE_BREAK = SafeString("<br>")


def _is_bullet(line: str) -> bool:
    return line.lstrip().startswith(BULLET_MARKS)


def _inline(text: str) -> SafeString:
    # The template filter escapes everything that is not the link it makes (rel="nofollow").
    return urlize(text, autoescape=True)


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
            body = format_html_join(LINE_BREAK, "{}", ((_inline(line),) for line in lines))
            parts.append(format_html("<p>{}</p>", body))
    return format_html_join("\n", "{}", ((part,) for part in parts))
