"""The seam between the join gateway and video platforms.

At join time the gateway asks `platform_link_for(call, pupil)` for the address to hand over.
The manual platforms return the link staff stored on the call; an adapter (e.g. BigBlueButton
in platforms/) registers a provider that creates a personal, name-locked link instead:

    from calls.gateway import register_platform_link
    register_platform_link(Platform.BIGBLUEBUTTON, lambda call, pupil: make_bbb_join_url(call, pupil))
"""

from collections.abc import Callable

_providers: dict[str, Callable] = {}


def register_platform_link(platform: str, provider: Callable) -> None:
    """`provider(call, pupil) -> str` answers for every call on `platform`."""
    _providers[platform] = provider


def platform_link_for(call, pupil) -> str:
    """The address a family uses to enter `call` for `pupil`, asked at the moment of joining."""
    provider = _providers.get(call.platform)
    if provider is not None:
        return provider(call, pupil)
    return call.meeting_url
