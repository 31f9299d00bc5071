"""The subscription lifecycle as a pure function: (state, event) -> (state, effects).

``transition(state, event)`` returns a ``Transition(state, effects)``; the caller (an action) persists the new
state and runs the effects, in order, after the commit. Nothing here reads the clock or the database: every event
says when it happened (``at``). An event the state does not allow raises ``InvalidTransition``.

``period_index`` is the index, in the pricing ``Schedule``, of the charge that paid the current period. A renewal
charges ``period_index + 1``, exactly once: ``PeriodEnded`` asks for it (``ChargeRenewal``) and marks it pending,
and only ``RenewalPaid`` (which moves ``period_index`` on), a comp or a cancellation clears it.

=====================  ==================================  =========================  ===============================
event                  from (and when)                     to                         effects
=====================  ==================================  =========================  ===============================
CheckoutPaid           incomplete                          active; trialing if trial  EmailReceipt(0)
CheckoutFailed         incomplete                          incomplete                 NotifyCheckoutFailed
RenewalPaid            trialing, active, past_due, unpaid  active                     EmailReceipt(index)
                       (a renewal is pending)
RenewalFailed          trialing, active, past_due          past_due                   EmailPaymentFailed, ScheduleRetry
                       (a renewal is pending)
                       ... the last retry failed           final_status               EmailPaymentFailed(final=True),
                                                           (unpaid or canceled)       VoidRenewal if canceled
                       unpaid (a retry after a new card)   unpaid                     EmailPaymentFailed(final=True)
CancelAtPeriodEnd      trialing, active (period running)   same, canceling            EmailCancellationConfirmed
Resume                 trialing, active (canceling,        same, not canceling        EmailSubscriptionResumed
                       period running)
CancelNow              incomplete (no refund)              canceled                   (none)
                       trialing, active, past_due, unpaid  canceled                   VoidRenewal if pending, Refund
                                                                                      if any, EmailCancellationConfirmed
PeriodEnded            trialing, active, canceling         canceled                   EmailSubscriptionEnded
                       trialing without a payment method   canceled                   EmailSubscriptionEnded
                       trialing, active                    same, renewal pending      ChangePlan if one is scheduled,
                       (at >= period end, none pending)                               ChargeRenewal(index + 1)
CompGranted            trialing, active, past_due, unpaid  active, paid to ``until``  VoidRenewal if pending,
                                                                                      EmailCompGranted
PlanChangeScheduled    trialing, active (period running,   same, scheduled_plan       EmailPlanChangeConfirmed
                       not canceling)
PaymentMethodUpdated   trialing, active                    same                       (none)
                       past_due, unpaid                    same                       ScheduleRetry(now) if pending
=====================  ==================================  =========================  ===============================

Canceled is final: every event on a canceled subscription is invalid (a returning reader starts a new one).

DUNNING: retries are counted from the FIRST failure of a renewal, not from the previous retry, so a retry that
runs late does not push the later ones back: with the default ``RETRY_DAYS = (1, 3, 5, 7)`` a renewal failing on
the 10th is retried on the 11th, 13th, 15th and 17th, and when the retry of the 17th fails the subscription
becomes ``final_status``.

ACCESS: ``paid_through`` only moves forward, with one exception: ``CancelNow`` ends access now, so it pulls
``paid_through`` back to the cancellation time (entitlement treats a canceled subscription as readable until
``paid_through``). To keep access to the end of the paid period, use ``CancelAtPeriodEnd``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace


class Status(enum.StrEnum):
    INCOMPLETE = "incomplete"  # checkout started, nothing paid yet
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"  # a renewal failed and is being retried; the reader is in dunning
    UNPAID = "unpaid"  # every retry failed; the renewal stays open until the reader pays or cancels
    CANCELED = "canceled"  # final


LIVE = frozenset({Status.TRIALING, Status.ACTIVE})
RETRY_DAYS = (1, 3, 5, 7)  # days after a renewal's first failure when it is retried


class InvalidTransition(Exception):
    """``event`` is not possible in ``state``; the message says why, in words fit for a log or an admin."""

    def __init__(self, state: SubState, event: Event, reason: str):
        self.state, self.event = state, event
        article = "an" if state.status[0] in "aeiou" else "a"
        super().__init__(f"{type(event).__name__} is not possible on {article} {state.status} subscription: {reason}.")


@dataclass(frozen=True)
class SubState:
    status: Status = Status.INCOMPLETE
    period_index: int = 0  # the Schedule index of the charge that paid the current period
    current_period_start: dt.datetime | None = None
    current_period_end: dt.datetime | None = None
    paid_through: dt.datetime | None = None
    cancel_at_period_end: bool = False
    failed_attempts: int = 0  # failures of the current checkout or renewal; 0 once it is paid
    canceled_at: dt.datetime | None = None
    renewal_pending: bool = False  # ChargeRenewal(period_index + 1) was asked for and is not settled
    first_failed_at: dt.datetime | None = None  # when the pending renewal first failed; retries count from it
    has_payment_method: bool = False
    scheduled_plan: str | None = None  # the plan to switch to when the current period ends

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))  # accept the model's plain strings

    @property
    def renewal_index(self) -> int:
        """The Schedule index the next (or pending) renewal charges."""
        return self.period_index + 1


# -- Events: what happened. Each says when. --------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    at: dt.datetime

    def __post_init__(self):
        for name, value in vars(self).items():
            if isinstance(value, dt.datetime) and value.utcoffset() is None:
                raise ValueError(f"{type(self).__name__}.{name} is naive; pass an aware datetime")


@dataclass(frozen=True)
class CheckoutPaid(Event):
    period_start: dt.datetime
    period_end: dt.datetime
    trial: bool = False
    payment_method: bool = True  # False for a trial taken without a card


@dataclass(frozen=True)
class CheckoutFailed(Event):
    reason: str = ""


@dataclass(frozen=True)
class RenewalPaid(Event):
    period_start: dt.datetime
    period_end: dt.datetime


@dataclass(frozen=True)
class RenewalFailed(Event):
    reason: str = ""


@dataclass(frozen=True)
class CancelAtPeriodEnd(Event):
    pass


@dataclass(frozen=True)
class Resume(Event):
    pass


@dataclass(frozen=True)
class CancelNow(Event):
    refund_amount: int = 0  # minor units, in the subscription's currency

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.refund_amount, int) or isinstance(self.refund_amount, bool) or self.refund_amount < 0:
            raise ValueError(f"refund_amount must be a non-negative int of minor units, not {self.refund_amount!r}")


@dataclass(frozen=True)
class PeriodEnded(Event):
    pass


@dataclass(frozen=True)
class CompGranted(Event):
    until: dt.datetime

    def __post_init__(self):
        super().__post_init__()
        if self.until <= self.at:
            raise ValueError("a comp must end after it is granted")


@dataclass(frozen=True)
class PlanChangeScheduled(Event):
    plan: str  # the new plan's code (or any key the caller resolves); it takes effect when the period ends


@dataclass(frozen=True)
class PaymentMethodUpdated(Event):
    pass


# -- Effects: what the caller must do next, after persisting the state. ----------------------------------------


@dataclass(frozen=True)
class EmailReceipt:
    index: int  # the Schedule charge that was paid


@dataclass(frozen=True)
class NotifyCheckoutFailed:
    reason: str


@dataclass(frozen=True)
class EmailPaymentFailed:
    index: int
    final: bool  # True: no more automatic retries


@dataclass(frozen=True)
class ScheduleRetry:
    at: dt.datetime
    index: int  # the renewal to charge again; a retry, not a new charge


@dataclass(frozen=True)
class ChargeRenewal:
    index: int  # the Schedule charge to collect; asked for at most once per index


@dataclass(frozen=True)
class VoidRenewal:
    index: int  # the pending renewal will never be collected: void its invoice, cancel its retries


@dataclass(frozen=True)
class Refund:
    amount: int  # minor units


@dataclass(frozen=True)
class EmailCancellationConfirmed:
    access_until: dt.datetime


@dataclass(frozen=True)
class EmailSubscriptionResumed:
    pass


@dataclass(frozen=True)
class EmailSubscriptionEnded:
    reason: str  # "canceled" (at period end) or "trial_ended" (a trial without a payment method)


@dataclass(frozen=True)
class EmailCompGranted:
    until: dt.datetime


@dataclass(frozen=True)
class EmailPlanChangeConfirmed:
    plan: str
    effective_at: dt.datetime


@dataclass(frozen=True)
class ChangePlan:
    """Charges from ``from_index`` on come from ``plan``: that schedule's charge 0 is this subscription's charge
    ``from_index``, and starts when the current period ends."""

    plan: str
    from_index: int


Effect = (
    EmailReceipt
    | NotifyCheckoutFailed
    | EmailPaymentFailed
    | ScheduleRetry
    | ChargeRenewal
    | VoidRenewal
    | Refund
    | EmailCancellationConfirmed
    | EmailSubscriptionResumed
    | EmailSubscriptionEnded
    | EmailCompGranted
    | EmailPlanChangeConfirmed
    | ChangePlan
)


@dataclass(frozen=True)
class Transition:
    state: SubState
    effects: tuple[Effect, ...] = ()


# Which statuses each event may happen in at all; the handlers check the finer conditions.
_NOT_CANCELED = frozenset(Status) - {Status.CANCELED}
_SUBSCRIBED = frozenset({Status.TRIALING, Status.ACTIVE, Status.PAST_DUE, Status.UNPAID})
ALLOWED_FROM: dict[type[Event], frozenset[Status]] = {
    CheckoutPaid: frozenset({Status.INCOMPLETE}),
    CheckoutFailed: frozenset({Status.INCOMPLETE}),
    RenewalPaid: _SUBSCRIBED,
    RenewalFailed: _SUBSCRIBED,
    CancelAtPeriodEnd: LIVE,
    Resume: LIVE,
    CancelNow: _NOT_CANCELED,
    PeriodEnded: LIVE,
    CompGranted: _SUBSCRIBED,
    PlanChangeScheduled: LIVE,
    PaymentMethodUpdated: _SUBSCRIBED,
}
_HOW = {
    Status.INCOMPLETE: "the checkout has not been paid",
    Status.TRIALING: "its checkout is already complete",
    Status.ACTIVE: "its checkout is already complete",
    Status.PAST_DUE: "its renewal failed and is being retried",
    Status.UNPAID: "its renewal is unpaid",
    Status.CANCELED: "a canceled subscription stays canceled",
}


def transition(
    state: SubState,
    event: Event,
    *,
    retry_days: tuple[int, ...] = RETRY_DAYS,
    final_status: Status = Status.UNPAID,
) -> Transition:
    """The state after ``event``, and the effects the caller must run; raises ``InvalidTransition`` when ``event``
    is not possible in ``state``.

    ``retry_days``: days after a renewal's first failure to retry it. ``final_status``: what a subscription
    becomes when the last retry fails, ``UNPAID`` (kept, waiting for the reader) or ``CANCELED``.
    """
    if final_status not in (Status.UNPAID, Status.CANCELED):
        raise ValueError(f"final_status must be unpaid or canceled, not {final_status!r}")
    allowed = ALLOWED_FROM.get(type(event))
    if allowed is None:
        raise TypeError(f"not a subscription event: {event!r}")
    if state.status not in allowed:
        raise InvalidTransition(state, event, _HOW[state.status])
    if isinstance(event, RenewalFailed):
        return _renewal_failed(state, event, retry_days, final_status)
    return _HANDLERS[type(event)](state, event)


def _checkout_paid(state: SubState, event: CheckoutPaid) -> Transition:
    if event.period_end <= event.period_start:
        raise InvalidTransition(state, event, "the period must end after it starts")
    new = replace(
        state,
        status=Status.TRIALING if event.trial else Status.ACTIVE,
        period_index=0,
        current_period_start=event.period_start,
        current_period_end=event.period_end,
        paid_through=event.period_end,  # a trial is "paid" by the offer: it grants access the same way
        failed_attempts=0,
        has_payment_method=event.payment_method,
    )
    return Transition(new, (EmailReceipt(0),))


def _checkout_failed(state: SubState, event: CheckoutFailed) -> Transition:
    return Transition(replace(state, failed_attempts=state.failed_attempts + 1), (NotifyCheckoutFailed(event.reason),))


def _renewal_paid(state: SubState, event: RenewalPaid) -> Transition:
    if not state.renewal_pending:
        raise InvalidTransition(state, event, "no renewal is pending")
    if event.period_end <= event.period_start:
        raise InvalidTransition(state, event, "the period must end after it starts")
    if state.current_period_end and event.period_end <= state.current_period_end:
        raise InvalidTransition(state, event, "a renewal must pay for a period after the current one")
    new = replace(
        state,
        status=Status.ACTIVE,
        period_index=state.renewal_index,
        current_period_start=event.period_start,
        current_period_end=event.period_end,
        paid_through=_later(state.paid_through, event.period_end),
        failed_attempts=0,
        first_failed_at=None,
        renewal_pending=False,
    )
    return Transition(new, (EmailReceipt(state.renewal_index),))


def _renewal_failed(state: SubState, event: RenewalFailed, retry_days: tuple[int, ...], final: Status) -> Transition:
    if not state.renewal_pending:
        raise InvalidTransition(state, event, "no renewal is pending")
    index, attempts = state.renewal_index, state.failed_attempts + 1
    first_failed_at = state.first_failed_at or event.at
    if state.status == Status.UNPAID:
        # A retry the reader asked for (a new card) failed: there is no automatic retry left to schedule.
        return Transition(replace(state, failed_attempts=attempts), (EmailPaymentFailed(index, final=True),))
    if attempts <= len(retry_days):
        # Counted from the first failure, so a late-running retry doesn't push the next ones back.
        retry_at = first_failed_at + dt.timedelta(days=retry_days[attempts - 1])
        new = replace(state, status=Status.PAST_DUE, failed_attempts=attempts, first_failed_at=first_failed_at)
        return Transition(new, (EmailPaymentFailed(index, final=False), ScheduleRetry(retry_at, index)))
    new = replace(state, status=final, failed_attempts=attempts, first_failed_at=first_failed_at)
    if final == Status.CANCELED:
        new = replace(new, canceled_at=event.at, renewal_pending=False, scheduled_plan=None)
        return Transition(new, (EmailPaymentFailed(index, final=True), VoidRenewal(index)))
    return Transition(new, (EmailPaymentFailed(index, final=True),))


def _cancel_at_period_end(state: SubState, event: CancelAtPeriodEnd) -> Transition:
    _require_period_running(state, event)
    if state.cancel_at_period_end:
        raise InvalidTransition(state, event, "it is already set to cancel at the end of the period")
    new = replace(state, cancel_at_period_end=True, scheduled_plan=None)
    return Transition(new, (EmailCancellationConfirmed(access_until=state.current_period_end),))


def _resume(state: SubState, event: Resume) -> Transition:
    _require_period_running(state, event)
    if not state.cancel_at_period_end:
        raise InvalidTransition(state, event, "it is not set to cancel")
    return Transition(replace(state, cancel_at_period_end=False), (EmailSubscriptionResumed(),))


def _cancel_now(state: SubState, event: CancelNow) -> Transition:
    if state.status == Status.INCOMPLETE:
        if event.refund_amount:
            raise InvalidTransition(state, event, "nothing was paid, so there is nothing to refund")
        return Transition(replace(state, status=Status.CANCELED, canceled_at=event.at))
    effects: list[Effect] = []
    if state.renewal_pending:
        effects.append(VoidRenewal(state.renewal_index))
    if event.refund_amount:
        effects.append(Refund(event.refund_amount))
    effects.append(EmailCancellationConfirmed(access_until=event.at))
    new = replace(
        state,
        status=Status.CANCELED,
        canceled_at=event.at,
        # Access ends now (see ACCESS in the module docstring): the one place paid_through moves back.
        paid_through=_earlier(state.paid_through, event.at),
        renewal_pending=False,
        scheduled_plan=None,
    )
    return Transition(new, tuple(effects))


def _period_ended(state: SubState, event: PeriodEnded) -> Transition:
    if state.renewal_pending:
        raise InvalidTransition(state, event, f"the renewal of period {state.renewal_index} is already pending")
    if state.current_period_end is None or event.at < state.current_period_end:
        raise InvalidTransition(state, event, "the current period has not ended")
    ended = replace(state, status=Status.CANCELED, canceled_at=state.current_period_end, scheduled_plan=None)
    if state.cancel_at_period_end:
        return Transition(ended, (EmailSubscriptionEnded("canceled"),))
    if state.status == Status.TRIALING and not state.has_payment_method:
        return Transition(ended, (EmailSubscriptionEnded("trial_ended"),))
    effects: list[Effect] = []
    if state.scheduled_plan is not None:
        effects.append(ChangePlan(state.scheduled_plan, from_index=state.renewal_index))
    effects.append(ChargeRenewal(state.renewal_index))
    return Transition(replace(state, renewal_pending=True, scheduled_plan=None), tuple(effects))


def _comp_granted(state: SubState, event: CompGranted) -> Transition:
    new = replace(
        state,
        status=Status.ACTIVE,
        paid_through=_later(state.paid_through, event.until),
        current_period_end=_later(state.current_period_end, event.until),
        failed_attempts=0,
        first_failed_at=None,
        renewal_pending=False,
    )
    effects: list[Effect] = []
    if state.renewal_pending:
        # The comp forgives the pending renewal: its period counts as given, so period_index moves past it and
        # that index is never charged. The next renewal is period_index + 1, due when the comp ends.
        effects.append(VoidRenewal(state.renewal_index))
        new = replace(new, period_index=state.renewal_index, current_period_start=state.current_period_end)
    effects.append(EmailCompGranted(event.until))
    return Transition(new, tuple(effects))


def _plan_change_scheduled(state: SubState, event: PlanChangeScheduled) -> Transition:
    _require_period_running(state, event)
    if state.cancel_at_period_end:
        raise InvalidTransition(state, event, "it is set to cancel at the end of the period; resume it first")
    new = replace(state, scheduled_plan=event.plan)
    return Transition(new, (EmailPlanChangeConfirmed(event.plan, effective_at=state.current_period_end),))


def _payment_method_updated(state: SubState, event: PaymentMethodUpdated) -> Transition:
    new = replace(state, has_payment_method=True)
    if state.status in (Status.PAST_DUE, Status.UNPAID) and state.renewal_pending:
        return Transition(new, (ScheduleRetry(event.at, state.renewal_index),))
    return Transition(new)


def _require_period_running(state: SubState, event: Event) -> None:
    if state.renewal_pending or state.current_period_end is None or event.at >= state.current_period_end:
        raise InvalidTransition(state, event, "the current period has already ended")


def _later(a: dt.datetime | None, b: dt.datetime) -> dt.datetime:
    return b if a is None else max(a, b)


def _earlier(a: dt.datetime | None, b: dt.datetime) -> dt.datetime | None:
    return None if a is None else min(a, b)


_HANDLERS = {
    CheckoutPaid: _checkout_paid,
    CheckoutFailed: _checkout_failed,
    RenewalPaid: _renewal_paid,
    CancelAtPeriodEnd: _cancel_at_period_end,
    Resume: _resume,
    CancelNow: _cancel_now,
    PeriodEnded: _period_ended,
    CompGranted: _comp_granted,
    PlanChangeScheduled: _plan_change_scheduled,
    PaymentMethodUpdated: _payment_method_updated,
}
