"""A pupil's safeguarding file as a PDF, for the receiving school when the pupil leaves."""

import io
from html import escape as _html_escape

from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from . import selectors


def escape(text: str) -> str:
    return _html_escape(text, quote=False)


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _para(text, style):
    # Paragraph reads a small XML markup: concern text is escaped so it is printed, never parsed.
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _concern_story(concern, pupil, styles) -> list:
    others = sum(1 for p in concern.pupils.all() if p.pk != pupil.pk)
    story = [
        Paragraph(f"Concern {escape(concern.reference)}", styles["Heading2"]),
        _para(
            f"Raised {_when(concern.raised_at)} by {concern.reported_by}; happened {_when(concern.happened_at)}.",
            styles["Normal"],
        ),
        _para(f"Kind: {concern.get_kind_display()}", styles["Normal"]),
    ]
    if others:
        # Another child's name does not travel in this child's file.
        story.append(_para(f"Other pupils involved: {others} (names withheld)", styles["Normal"]))
    story += [Paragraph("What happened", styles["Heading4"]), _para(concern.what_happened, styles["Normal"])]
    if concern.childs_words:
        story += [Paragraph("The child's own words", styles["Heading4"]), _para(concern.childs_words, styles["Normal"])]
    story += [Paragraph("What was done straight away", styles["Heading4"]), _para(concern.action_taken, styles["Normal"])]
    story.append(Paragraph("Chronology", styles["Heading4"]))
    for entry in selectors.chronology_of(concern):
        story.append(
            _para(f"{_when(entry.recorded_at)} - {entry_heading(entry)} - {entry.recorded_by or 'the portal'}", styles["Normal"])
        )
        if entry.text:
            story.append(_para(entry.text, styles["Normal"]))
    return story


def entry_heading(entry) -> str:
    """One line naming an entry: its kind, the action or outcome, the entry it corrects."""
    heading = entry.get_kind_display()
    if entry.action:
        heading += f": {entry.get_action_display()}"
    if entry.outcome:
        heading += f": {entry.get_outcome_display()}"
    if entry.corrects_id:
        heading += f" (corrects the entry of {_when(entry.corrects.recorded_at)})"
    return heading


def render_pupil_file(*, pupil, concerns, exported_by, now) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=2 * cm, rightMargin=2 * cm, title="Safeguarding file")
    story = [
        Paragraph("CONFIDENTIAL - Safeguarding file", styles["Title"]),
        _para(f"Pupil: {pupil.full_name}, born {pupil.date_of_birth:%d/%m/%Y}, MIS id {pupil.mis_id}", styles["Normal"]),
        _para(f"Exported {_when(now)} by {exported_by} for transfer to the receiving school.", styles["Normal"]),
        _para(f"Concerns in this file: {len(concerns)}", styles["Normal"]),
        Spacer(1, 0.5 * cm),
    ]
    for concern in concerns:
        story += _concern_story(concern, pupil, styles)
    doc.build(story)
    return buffer.getvalue()
