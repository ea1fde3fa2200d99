"""What the consent app announces to the apps above it. Receivers connect in their AppConfig.ready()
(docs/architecture.md); each signal is sent inside the sender's transaction, so a receiver that
fails rolls the whole change back."""

from django.dispatch import Signal

# Sent by services.withdraw_consent once the withdrawal is recorded: pupil, scope, decided_by, now.
# The calls app takes the pupil off upcoming calls (video calls) or stops recording them (CON-3, CON-6).
consent_withdrawn = Signal()

# Sent by the consent page before a parent confirms a withdrawal (issue 19): pupil, scope, now.
# Receivers answer with a list of plain sentences saying what withdrawing would change (the calls
# app: which calls the child leaves, which one-to-one is cancelled); the page lists them all.
withdrawal_previewed = Signal()

# Sent by the consent page after a parent gives consent again: pupil, scope, now. A receiver
# answers with the address of a page offering to undo what the withdrawal did (the calls app:
# put the child back on their calls), or None; the parent is sent to the first offered.
consent_regiven = Signal()
