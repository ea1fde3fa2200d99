"""One-to-ones (CALL-4, CALL-5): a parent with parental responsibility agrees to the date and time,
then the head or deputy approves; either answer is for that time only."""

from django.db import IntegrityError, transaction

from accounts.permissions import is_leadership
from notifications.services import notify
from school.models import Guardianship

from .. import emails, policy
from ..choices import AgreementDecision, ApprovalDecision, CallStatus
from ..models import CallApproval, ParentAgreement
from . import CallError
from .common import consenting_families, locked_call
from .join_details import send_join_details_if_due


def ask_for_agreement(call) -> None:
    """CALL-4: ask the pupil's guardians to agree to this date and time (also the COM-1 notice)."""
    for guardian, pupils in consenting_families(call).items():
        notify(
            to=guardian.email,
            user=guardian.user,
            kind="call-agreement-request",
            context=emails.family_context(call, guardian, pupils),
            dedupe_key=f"call-agree:{call.pk}:v{call.version}:{guardian.pk}",
        )


@transaction.atomic
def record_parent_agreement(*, call, guardian, decided_by, now, agree: bool, suitable_times: str = "") -> ParentAgreement:
    """CALL-4: a guardian with parental responsibility agrees to (or declines) this date and time;
    on declining they may say which times suit them (issue 19), which the host is sent."""
    call = locked_call(call)
    invited = call.invitations.filter(removed_at__isnull=True).values_list("pupil_id", flat=True)
    if not Guardianship.objects.filter(guardian=guardian, pupil_id__in=invited, parental_responsibility=True).exists():
        raise CallError("Only a parent or carer with parental responsibility for this child can answer.")
    if call.status != CallStatus.AWAITING_PARENT:
        raise CallError(f"This call is not waiting for a parent's answer (it is: {call.get_status_display().lower()}).")
    try:
        with transaction.atomic():
            agreement = ParentAgreement.objects.create(
                call=call,
                guardian=guardian,
                decision=AgreementDecision.AGREED if agree else AgreementDecision.DECLINED,
                for_starts_at=call.starts_at,
                decided_at=now,
                decided_by=decided_by,
                suitable_times="" if agree else suitable_times.strip(),
            )
    except IntegrityError:
        raise CallError("Another parent or carer has already answered for this time.") from None
    call.status = CallStatus.AWAITING_APPROVAL if agree else CallStatus.DRAFT
    call.changed_at = now
    call.save(update_fields=["status", "changed_at"])
    notify(
        to=call.host.email,
        user=call.host,
        kind="call-agreement-decided",
        context=emails.staff_context(call, agreement=agreement),
        dedupe_key=f"call-agreement-decided:{agreement.pk}",
    )
    return agreement


def _decide(*, call, approver, now, decision, reason) -> CallApproval:
    call = locked_call(call)
    verdict = policy.may_decide_approval(
        approver_id=approver.pk,
        approver_is_leadership=is_leadership(approver),
        booked_by_id=call.booked_by_id,
        staff_ids=call.staff_ids(),
    )
    if not verdict.allowed:
        raise CallError(verdict.reason)
    if call.status != CallStatus.AWAITING_APPROVAL:
        raise CallError(f"This call is not awaiting approval (it is: {call.get_status_display().lower()}).")
    try:
        with transaction.atomic():
            approval = CallApproval.objects.create(
                call=call,
                approver=approver,
                decision=decision,
                reason=reason.strip(),
                for_starts_at=call.starts_at,
                decided_at=now,
            )
    except IntegrityError:
        raise CallError("Someone else has already decided on this call.") from None
    call.status = CallStatus.SCHEDULED if decision == ApprovalDecision.APPROVED else CallStatus.DRAFT
    call.changed_at = now
    call.save(update_fields=["status", "changed_at"])
    notify(
        to=call.host.email,
        user=call.host,
        kind="call-approval-decided",
        context=emails.staff_context(call, approval=approval),
        dedupe_key=f"call-approval-decided:{approval.pk}",
    )
    _tell_agreeing_parent(call, approval)
    return approval


def _tell_agreeing_parent(call, approval) -> None:
    """Issue 19: the parent who agreed the time hears whether the one-to-one was approved or not
    (the head's reason is for the host, so the parent is told only that the school will be in touch)."""
    agreement = call.agreements.filter(voided_at__isnull=True, decision=AgreementDecision.AGREED).first()
    if agreement is None:
        return
    families = consenting_families(call)
    guardian = next((g for g in families if g.pk == agreement.guardian_id), None)
    if guardian is None:
        return  # no longer entitled to the call's notices (COM-4)
    pupils = families[guardian]
    notify(
        to=guardian.email,
        user=guardian.user,
        kind="call-approval-family",
        context={**emails.family_context(call, guardian, pupils), "approved": approval.decision == ApprovalDecision.APPROVED},
        dedupe_key=f"call-approval-family:{approval.pk}",
    )


@transaction.atomic
def approve_call(*, call, approver, now, reason="") -> CallApproval:
    """CALL-4: the head or deputy approves a one-to-one the parent agreed to; join details may follow."""
    approval = _decide(call=call, approver=approver, now=now, decision=ApprovalDecision.APPROVED, reason=reason)
    send_join_details_if_due(approval.call, now)
    return approval


@transaction.atomic
def decline_call(*, call, approver, now, reason) -> CallApproval:
    """CALL-4: the head or deputy declines, with a reason the host sees. The call goes back to draft."""
    if not reason.strip():
        raise CallError("Give a reason for declining, so the host knows what to change.")
    return _decide(call=call, approver=approver, now=now, decision=ApprovalDecision.DECLINED, reason=reason)


def void_decisions(call, now) -> None:
    """CALL-5: an agreement or approval is for one date and time only."""
    for row in [*call.agreements.filter(voided_at__isnull=True), *call.approvals.filter(voided_at__isnull=True)]:
        row.voided_at = now
        row.save(update_fields=["voided_at"])
