"""Loads version 1 of the acceptable-use guidance for parents, pupils and staff (CON-7, COM-3).

The two lists are the school's own words from the Video Conferencing Policy (September 2020):
"UNACCEPTABLE USE" and "The Ernesford Grange Video Conferencing Guidance". They are copied
here, not read from a file, so this migration gives the same rows forever.
"""

import datetime as dt

from django.db import migrations

UNACCEPTABLE_USE = {
    "heading": "Unacceptable use",
    "lead": "Examples of unacceptable use include, but are not limited to:",
    "items": [
        "Creating or sending any messages or comments that might upset other people.",
        "Using another person's username and password e.g. to access a device or website.",
        "Looking at or changing work that belongs to other people without their permission.",
        "Wasting time or resources on school computers.",
        "Sharing pictures or making video calls without checking with your parent/carer.",
    ],
}
GUIDANCE = {
    "heading": "The Ernesford Grange Video Conferencing Guidance",
    "lead": "",
    "items": [
        "Everyone must respect other within the video call and no inappropriate language or actions will be used "
        "– all school rules and values must be followed.",
        "Children must inform their parents/carers of the video call and they should be available should the "
        "school adult wish to speak to them.",
        "Staff, children and other members of the household must wear suitable clothing - No pyjamas etc.",
        "Parents and carers will supervise their child's video call with the school.",
        "Everyone must be on time to the video meeting. If a 'online class' has started, teachers will wait 5 "
        "minutes then the video call will be locked so no one else can join in.",
        "Teachers will use virtual waiting rooms. This will enable the school to check who they are before allowing them entry.",
        "Limit screen sharing. This will ensure children do not take control of the screen and prevent them from "
        "sharing random content.",
        "Disable private messaging. This will prevent distractions among our children by stopping private messaging "
        "between children so they cannot talk to one another without our knowledge.",
        "On entry, teachers will mute all microphones and video and accept one child at a time. Children must show "
        "their face/have their camera on to enter the video call. If they do not have their camera on, they will not "
        "be admitted.",
        "Staff will turn off file transfer and only staff members will be able to do this.",
        "Details on how to join into the video meeting will be sent privately to parents and carers' email address.",
        "Be conscious of background environments and others in the room.",
        "I will not reveal my passwords to anyone.",
        "I will not share any school content on social media platforms.",
    ],
}
DOCUMENTS = [
    (
        "parents",
        "Acceptable use and video call guidance for parents and carers",
        "Please read this before your child's first video call with the school. It is the standard the school "
        "expects from parents, carers and pupils whenever video conferencing takes place.",
    ),
    (
        "pupils",
        "Acceptable use and video call guidance for pupils",
        "Please read this with your child. By acknowledging it on their behalf you confirm you have talked it "
        "through together.",
    ),
    (
        "staff",
        "Acceptable use and video call guidance for staff",
        "All staff running or joining video calls with pupils follow this guidance and the school's safeguarding, "
        "GDPR and child protection policies.",
    ),
]


def load(apps, schema_editor):
    Document = apps.get_model("consent", "AcceptableUseDocument")
    for audience, title, introduction in DOCUMENTS:
        Document.objects.get_or_create(
            audience=audience,
            version=1,
            defaults={
                "title": title,
                "introduction": introduction,
                "sections": [UNACCEPTABLE_USE, GUIDANCE],
                "published_at": dt.datetime(2020, 10, 1, 9, 0, tzinfo=dt.UTC),
            },
        )


def unload(apps, schema_editor):
    apps.get_model("consent", "AcceptableUseDocument").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_acceptable_use_questions_requests")]
    operations = [migrations.RunPython(load, unload)]
