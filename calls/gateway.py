"""The seam between the join gateway and video platforms.

At join time the gateway asks `platform_link_for(call, pupil, now=now)` for the address to hand
over. The manual platforms answer with the link staff stored on the call. An adapter (e.g.
BigBlueButton in platforms/) registers a provider that makes a personal, name-locked link, or
refuses (say, a one-to-one whose two staff are not in yet):

    from calls.gateway import register_platform_link
    from platforms.gateway import pupil_link_for_call

    register_platform_link(
        Platform.BIGBLUEBUTTON,
        lambda call, pupil, now: pupil_link_for_call(call, pupil, recording_consented_by_all=call.record, now=now),
    )

A provider returns a URL string, or any object with `url` and `refusal` attributes. `call.record`
is already true only when every invitee has recording permission (CON-6, kept by calls.services).
"""

from collections.abc import Callable
from dataclasses import dataclass

_providers: dict[str, Callable] = {}


@dataclass(frozen=True)
class PlatformAnswer:
    url: str = ""
    refusal: str | None = None


def register_platform_link(platform: str, provider: Callable) -> None:
    """`provider(call, pupil, now)` answers for every call on `platform`."""
    _providers[platform] = provider


def platform_link_for(call, pupil, *, now) -> PlatformAnswer:
    """The address a family uses to enter `call` for `pupil`, asked at the moment of joining."""
    provider = _providers.get(call.platform)
    if provider is None:
        return PlatformAnswer(url=call.meeting_url)
    answer = provider(call, pupil, now)
    if isinstance(answer, str):
        return PlatformAnswer(url=answer)
    return PlatformAnswer(url=getattr(answer, "url", "") or "", refusal=getattr(answer, "refusal", None))
