"""The policy's simple formatting: paragraphs and bullet lists from plain text, never raw HTML.

Heads write the policy in a text box: a blank line starts a new paragraph and a line that
starts with "- ", "* " or "• " is a bullet. A short line on its own that ends in a colon and
introduces a list or a paragraph of some length ("Intent:", "One to One Video calls:") is a
heading, so parents can find their way round the page. Everything the head typed is escaped, so a pasted
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
    return _with_headings(found)


HEADING_MAX_WORDS = 8
# What a heading introduces: a list, or a paragraph longer than a "Shared with staff: October 2020".
HEADED_MIN_WORDS = 8


def _with_headings(found: list[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    out = []
    for index, (kind, lines) in enumerate(found):
        following = found[index + 1] if index + 1 < len(found) else None
        if (
            kind == "p"
            and len(lines) == 1
            and lines[0].endswith(":")
            and len(lines[0].split()) <= HEADING_MAX_WORDS
            and following is not None
            and (following[0] == "ul" or len(" ".join(following[1]).split()) >= HEADED_MIN_WORDS)
        ):
            out.append(("h", [lines[0].rstrip(":").strip()]))
        else:
            out.append((kind, lines))
    return out


def render_policy_text(text: str) -> SafeString:
    """Safe HTML for the policy's text (headings, paragraphs and bullet lists only)."""
    parts = []
    for kind, lines in blocks(text):
        if kind == "h":  # under the page's "The policy in full" (h2)
            parts.append(format_html('<h3 class="h5 mt-4">{}</h3>', lines[0]))
        elif kind == "ul":
            items = format_html_join("", "<li>{}</li>", ((_inline(item),) for item in lines))
            parts.append(format_html("<ul>{}</ul>", items))
        else:
            body = format_html_join(LINE_BREAK, "{}", ((_inline(line),) for line in lines))
            parts.append(format_html("<p>{}</p>", body))
    return format_html_join("\n", "{}", ((part,) for part in parts))
