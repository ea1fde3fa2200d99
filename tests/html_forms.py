"""What a browser would submit from a page's form, read with the standard library's parser.

The point is the browser's value sanitisation (HTML spec, "value sanitization algorithm"): an
<input type="date"> whose value is not an ISO date shows an empty box and submits "" — which is
how a dd/mm/yyyy value silently erased the governors' agreement date on save (issue 17).
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

# The value shapes each input type keeps; anything else becomes "" (HTML spec 4.10.5.1).
_SANITISED = {
    "date": lambda v: _parses(v, "%Y-%m-%d") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v),
    "time": lambda v: re.fullmatch(r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?", v) and _parses(v[:5], "%H:%M"),
    "datetime-local": lambda v: (
        re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", v)
        and _parses(v[:16].replace(" ", "T"), "%Y-%m-%dT%H:%M")
    ),
}
_NOT_SUBMITTED = {"submit", "button", "reset", "image", "file"}


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


class _Form:
    def __init__(self, attrs):
        self.attrs = attrs
        self.fields: list[tuple[str, str]] = []
        self.inputs: dict[str, dict] = {}  # name -> attributes of the (last) input with that name


class _FormsParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._form = None
        self._select = None  # [name, multiple, options: list[(value, selected)]]
        self._option = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = _Form(a)
            self.forms.append(self._form)
        elif self._form is None or "disabled" in a:
            return
        elif tag == "input":
            self._input(a)
        elif tag == "select" and a.get("name"):
            self._form.inputs[a["name"]] = {**a, "type": "select"}
            self._select = [a["name"], "multiple" in a, []]
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
            self._select[2].append(self._option)
        elif tag == "textarea" and a.get("name"):
            self._form.inputs[a["name"]] = {**a, "type": "textarea"}
            self._textarea = [a["name"], ""]

    def _input(self, a):
        kind, name = a.get("type", "text").lower(), a.get("name")
        if not name or kind in _NOT_SUBMITTED:
            return
        self._form.inputs[name] = a
        if kind in ("checkbox", "radio"):
            if "checked" in a:
                self._form.fields.append((name, a.get("value", "on")))
            return
        value = a.get("value", "")
        check = _SANITISED.get(kind)
        if check is not None and value and not check(value):
            value = ""  # the browser shows an empty box and sends nothing
        self._form.fields.append((name, value))

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            name, text = self._textarea
            self._form.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            self._close_select()

    def _close_select(self):
        name, multiple, options = self._select
        chosen = [o for o in options if o[1]] or ([] if multiple else options[:1])
        for value, _selected, text in chosen:
            self._form.fields.append((name, text.strip() if value is None else value))
        self._select = None


def forms_in(html: str | bytes) -> list[_Form]:
    parser = _FormsParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    return parser.forms


def post_form(html: str | bytes, *, field: str) -> _Form:
    """The form that posts (method="post") and has an input named `field`, as a browser would see
    it (the page has others, such as the menu's sign-out form)."""
    posting = [f for f in forms_in(html) if f.attrs.get("method", "get").lower() == "post" and field in f.inputs]
    assert len(posting) == 1, f"expected one posting form with a field {field!r}, found {len(posting)}"
    return posting[0]


def submitted(form: _Form, **changes) -> dict:
    """The form's values as the browser would send them, with some fields changed by the user.
    A field that appears more than once (a multiple select) becomes a list."""
    data: dict[str, str | list[str]] = {}
    for name, value in form.fields:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    data.update(changes)
    return data
