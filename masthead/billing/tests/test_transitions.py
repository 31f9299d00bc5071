"""The subscription lifecycle: every (status, event) pair either moves as documented or is refused."""

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from masthead.billing.pricing import OfferKind, OfferTerms, PlanTerms, schedule
from masthead.billing.transitions import (
    ALLOWED_FROM,
    CancelAtPeriodEnd,
    CancelNow,
    ChangePlan,
    ChargeRenewal,
    CheckoutFailed,
    CheckoutPaid,
    CompGranted,
    EmailCancellationConfirmed,
    EmailCompGranted,
    EmailPaymentFailed,
    EmailPlanChangeConfirmed,
    EmailReceipt,
    EmailSubscriptionEnded,
    EmailSubscriptionResumed,
    InvalidTransition,
    NotifyCheckoutFailed,
    PaymentMethodUpdated,
    PeriodEnded,
    PlanChangeScheduled,
    Refund,
    RenewalFailed,
    RenewalPaid,
    Resume,
    ScheduleRetry,
    Status,
    SubState,
    Transition,
    VoidRenewal,
    transition,
)

DAY = dt.timedelta(days=1)
T0 = dt.datetime(2027, 1, 31, 12, tzinfo=dt.UTC)  # checkout
T1 = dt.datetime(2027, 2, 28, 12, tzinfo=dt.UTC)  # end of the first period
T2 = dt.datetime(2027, 3, 31, 12, tzinfo=dt.UTC)  # end of the second
DURING = T0 + 10 * DAY  # inside the first period
LATER = T1 + 2 * DAY  # after the first period, while its renewal is pending
COMP_UNTIL = T2 + 30 * DAY

R = replace = dataclasses.replace
INCOMPLETE = SubState()
ACTIVE = SubState(Status.ACTIVE, 0, T0, T1, T1, has_payment_method=True)
CANCELING = R(ACTIVE, cancel_at_period_end=True)
RENEWING = R(ACTIVE, renewal_pending=True)  # the first period ended; renewal 1 was asked for
TRIALING = R(ACTIVE, status=Status.TRIALING)
TRIAL_NO_CARD = R(TRIALING, has_payment_method=False)
PAST_DUE = R(RENEWING, status=Status.PAST_DUE, failed_attempts=1, first_failed_at=T1)
LAST_RETRY = R(PAST_DUE, failed_attempts=4)
UNPAID = R(PAST_DUE, status=Status.UNPAID, failed_attempts=5)
CANCELED = R(ACTIVE, status=Status.CANCELED, canceled_at=T1)

CHECKOUT_PAID = CheckoutPaid(T0, period_start=T0, period_end=T1)
CHECKOUT_FAILED = CheckoutFailed(T0, reason="card_declined")
RENEWAL_PAID = RenewalPaid(LATER, period_start=T1, period_end=T2)
RENEWAL_FAILED = RenewalFailed(T1)
CANCEL_AT_END = CancelAtPeriodEnd(DURING)
RESUME = Resume(DURING)
CANCEL_NOW = CancelNow(DURING, refund_amount=750)
PERIOD_ENDED = PeriodEnded(T1)
COMP = CompGranted(DURING, until=COMP_UNTIL)
PLAN_CHANGE = PlanChangeScheduled(DURING, plan="yearly")
NEW_CARD = PaymentMethodUpdated(LATER)


def ok(state, *effects):
    return Transition(state, tuple(effects))


def no(reason):
    return reason  # the expected InvalidTransition message contains it


ENDED_BY_CANCEL_NOW = dict(status=Status.CANCELED, canceled_at=DURING, paid_through=DURING)
RENEWED = dict(status=Status.ACTIVE, period_index=1, current_period_start=T1, current_period_end=T2, paid_through=T2)
NOT_FAILING = dict(failed_attempts=0, first_failed_at=None, renewal_pending=False)
COMPED = dict(status=Status.ACTIVE, paid_through=COMP_UNTIL, current_period_end=COMP_UNTIL)

# (state, event, keyword arguments, expected Transition or the words of the refusal)
TABLE = {
    # incomplete: a checkout in progress
    "incomplete, paid": (
        INCOMPLETE,
        CHECKOUT_PAID,
        {},
        ok(R(ACTIVE, has_payment_method=True), EmailReceipt(0)),
    ),
    "incomplete, paid for a trial without a card": (
        INCOMPLETE,
        CheckoutPaid(T0, period_start=T0, period_end=T0 + 14 * DAY, trial=True, payment_method=False),
        {},
        ok(R(TRIAL_NO_CARD, current_period_end=T0 + 14 * DAY, paid_through=T0 + 14 * DAY), EmailReceipt(0)),
    ),
    "incomplete, paid for a backwards period": (
        INCOMPLETE,
        CheckoutPaid(T0, period_start=T1, period_end=T0),
        {},
        no("the period must end after it starts"),
    ),
    "incomplete, failed": (
        INCOMPLETE,
        CHECKOUT_FAILED,
        {},
        ok(R(INCOMPLETE, failed_attempts=1), NotifyCheckoutFailed("card_declined")),
    ),
    "incomplete, renewal paid": (INCOMPLETE, RENEWAL_PAID, {}, no("the checkout has not been paid")),
    "incomplete, renewal failed": (INCOMPLETE, RENEWAL_FAILED, {}, no("the checkout has not been paid")),
    "incomplete, cancel at end": (INCOMPLETE, CANCEL_AT_END, {}, no("the checkout has not been paid")),
    "incomplete, resume": (INCOMPLETE, RESUME, {}, no("the checkout has not been paid")),
    "incomplete, abandoned": (
        INCOMPLETE,
        CancelNow(DURING),
        {},
        ok(R(INCOMPLETE, status=Status.CANCELED, canceled_at=DURING)),
    ),
    "incomplete, canceled with a refund": (INCOMPLETE, CANCEL_NOW, {}, no("nothing to refund")),
    "incomplete, period ended": (INCOMPLETE, PERIOD_ENDED, {}, no("the checkout has not been paid")),
    "incomplete, comp": (INCOMPLETE, COMP, {}, no("the checkout has not been paid")),
    "incomplete, plan change": (INCOMPLETE, PLAN_CHANGE, {}, no("the checkout has not been paid")),
    "incomplete, new card": (INCOMPLETE, NEW_CARD, {}, no("the checkout has not been paid")),
    # trialing
    "trialing, checkout paid": (
        TRIALING,
        CHECKOUT_PAID,
        {},
        no("on a trialing subscription: its checkout is already complete"),
    ),
    "trialing, checkout failed": (
        TRIALING,
        CHECKOUT_FAILED,
        {},
        no("on a trialing subscription: its checkout is already complete"),
    ),
    "trialing, converted": (
        R(TRIALING, renewal_pending=True),
        RENEWAL_PAID,
        {},
        ok(R(TRIALING, **RENEWED, **NOT_FAILING), EmailReceipt(1)),
    ),
    "trialing, renewal paid without a renewal": (TRIALING, RENEWAL_PAID, {}, no("no renewal is pending")),
    "trialing, conversion failed": (
        R(TRIALING, renewal_pending=True),
        RENEWAL_FAILED,
        {},
        ok(PAST_DUE, EmailPaymentFailed(1, final=False), ScheduleRetry(T1 + DAY, 1)),
    ),
    "trialing, cancel at end": (
        TRIALING,
        CANCEL_AT_END,
        {},
        ok(R(TRIALING, cancel_at_period_end=True), EmailCancellationConfirmed(T1)),
    ),
    "trialing, resume": (
        R(TRIALING, cancel_at_period_end=True),
        RESUME,
        {},
        ok(TRIALING, EmailSubscriptionResumed()),
    ),
    "trialing, cancel now": (
        TRIALING,
        CancelNow(DURING),
        {},
        ok(R(TRIALING, **ENDED_BY_CANCEL_NOW), EmailCancellationConfirmed(DURING)),
    ),
    "trialing, trial ended": (TRIALING, PERIOD_ENDED, {}, ok(R(TRIALING, renewal_pending=True), ChargeRenewal(1))),
    "trialing without a card, trial ended": (
        TRIAL_NO_CARD,
        PERIOD_ENDED,
        {},
        ok(R(TRIAL_NO_CARD, status=Status.CANCELED, canceled_at=T1), EmailSubscriptionEnded("trial_ended")),
    ),
    "trialing, comp": (TRIALING, COMP, {}, ok(R(TRIALING, **COMPED), EmailCompGranted(COMP_UNTIL))),
    "trialing, plan change": (
        TRIALING,
        PLAN_CHANGE,
        {},
        ok(R(TRIALING, scheduled_plan="yearly"), EmailPlanChangeConfirmed("yearly", T1)),
    ),
    "trialing without a card, new card": (
        TRIAL_NO_CARD,
        PaymentMethodUpdated(DURING),
        {},
        ok(TRIALING),
    ),
    # active
    "active, checkout paid": (
        ACTIVE,
        CHECKOUT_PAID,
        {},
        no("on an active subscription: its checkout is already complete"),
    ),
    "active, checkout failed": (
        ACTIVE,
        CHECKOUT_FAILED,
        {},
        no("on an active subscription: its checkout is already complete"),
    ),
    "active, renewed": (RENEWING, RENEWAL_PAID, {}, ok(R(RENEWING, **RENEWED, **NOT_FAILING), EmailReceipt(1))),
    "active, renewal paid without a renewal": (ACTIVE, RENEWAL_PAID, {}, no("no renewal is pending")),
    "active, renewal paid for an old period": (
        RENEWING,
        RenewalPaid(LATER, period_start=T0, period_end=T1),
        {},
        no("a period after the current one"),
    ),
    "active, renewal failed": (
        RENEWING,
        RENEWAL_FAILED,
        {},
        ok(PAST_DUE, EmailPaymentFailed(1, final=False), ScheduleRetry(T1 + DAY, 1)),
    ),
    "active, renewal failed without a renewal": (ACTIVE, RENEWAL_FAILED, {}, no("no renewal is pending")),
    "active, cancel at end": (ACTIVE, CANCEL_AT_END, {}, ok(CANCELING, EmailCancellationConfirmed(T1))),
    "active, cancel at end twice": (CANCELING, CANCEL_AT_END, {}, no("already set to cancel")),
    "active, cancel at end too late": (ACTIVE, CancelAtPeriodEnd(T1), {}, no("period has already ended")),
    "active, cancel at end while renewing": (RENEWING, CANCEL_AT_END, {}, no("period has already ended")),
    "active, cancel at end drops a plan change": (
        R(ACTIVE, scheduled_plan="yearly"),
        CANCEL_AT_END,
        {},
        ok(CANCELING, EmailCancellationConfirmed(T1)),
    ),
    "active, resume": (CANCELING, RESUME, {}, ok(ACTIVE, EmailSubscriptionResumed())),
    "active, resume when not canceling": (ACTIVE, RESUME, {}, no("not set to cancel")),
    "active, resume too late": (CANCELING, Resume(T1), {}, no("period has already ended")),
    "active, cancel now with a refund": (
        ACTIVE,
        CANCEL_NOW,
        {},
        ok(R(ACTIVE, **ENDED_BY_CANCEL_NOW), Refund(750), EmailCancellationConfirmed(DURING)),
    ),
    "active, cancel now while renewing": (
        RENEWING,
        CancelNow(LATER),
        {},
        ok(
            R(ACTIVE, status=Status.CANCELED, canceled_at=LATER),
            VoidRenewal(1),
            EmailCancellationConfirmed(LATER),
        ),
    ),
    "active, period ended": (ACTIVE, PERIOD_ENDED, {}, ok(RENEWING, ChargeRenewal(1))),
    "active, period ended late": (ACTIVE, PeriodEnded(LATER), {}, ok(RENEWING, ChargeRenewal(1))),
    "active, period ended with a plan change": (
        R(ACTIVE, scheduled_plan="yearly"),
        PERIOD_ENDED,
        {},
        ok(RENEWING, ChangePlan("yearly", from_index=1), ChargeRenewal(1)),
    ),
    "active, period ended while canceling": (
        CANCELING,
        PERIOD_ENDED,
        {},
        ok(R(CANCELING, status=Status.CANCELED, canceled_at=T1), EmailSubscriptionEnded("canceled")),
    ),
    "active, period ended early": (ACTIVE, PeriodEnded(DURING), {}, no("the current period has not ended")),
    "active, period ended twice": (RENEWING, PeriodEnded(LATER), {}, no("renewal of period 1 is already pending")),
    "active, comp": (ACTIVE, COMP, {}, ok(R(ACTIVE, **COMPED), EmailCompGranted(COMP_UNTIL))),
    "active, comp shorter than paid": (
        ACTIVE,
        CompGranted(T0, until=DURING),
        {},
        ok(ACTIVE, EmailCompGranted(DURING)),  # never shortens what was paid for
    ),
    "active, plan change": (
        ACTIVE,
        PLAN_CHANGE,
        {},
        ok(R(ACTIVE, scheduled_plan="yearly"), EmailPlanChangeConfirmed("yearly", T1)),
    ),
    "active, plan change while canceling": (CANCELING, PLAN_CHANGE, {}, no("resume it first")),
    "active, plan change too late": (ACTIVE, PlanChangeScheduled(T1, "yearly"), {}, no("already ended")),
    "active, new card": (R(ACTIVE, has_payment_method=False), NEW_CARD, {}, ok(ACTIVE)),
    # past_due: the renewal of period 1 failed once and is being retried
    "past_due, checkout paid": (PAST_DUE, CHECKOUT_PAID, {}, no("renewal failed and is being retried")),
    "past_due, checkout failed": (PAST_DUE, CHECKOUT_FAILED, {}, no("renewal failed and is being retried")),
    "past_due, retry paid": (PAST_DUE, RENEWAL_PAID, {}, ok(R(PAST_DUE, **RENEWED, **NOT_FAILING), EmailReceipt(1))),
    "past_due, retry failed": (
        PAST_DUE,
        RenewalFailed(T1 + DAY),
        {},
        ok(R(PAST_DUE, failed_attempts=2), EmailPaymentFailed(1, final=False), ScheduleRetry(T1 + 3 * DAY, 1)),
    ),
    "past_due, last retry failed": (
        LAST_RETRY,
        RenewalFailed(T1 + 7 * DAY),
        {},
        ok(R(LAST_RETRY, status=Status.UNPAID, failed_attempts=5), EmailPaymentFailed(1, final=True)),
    ),
    "past_due, last retry failed, canceling": (
        LAST_RETRY,
        RenewalFailed(T1 + 7 * DAY),
        {"final_status": Status.CANCELED},
        ok(
            R(
                LAST_RETRY,
                status=Status.CANCELED,
                failed_attempts=5,
                canceled_at=T1 + 7 * DAY,
                renewal_pending=False,
            ),
            EmailPaymentFailed(1, final=True),
            VoidRenewal(1),
        ),
    ),
    "past_due, retry failed, own schedule": (
        PAST_DUE,
        RenewalFailed(T1 + DAY),
        {"retry_days": (2, 4)},
        ok(R(PAST_DUE, failed_attempts=2), EmailPaymentFailed(1, final=False), ScheduleRetry(T1 + 4 * DAY, 1)),
    ),
    "past_due, cancel at end": (PAST_DUE, CANCEL_AT_END, {}, no("renewal failed and is being retried")),
    "past_due, resume": (PAST_DUE, RESUME, {}, no("renewal failed and is being retried")),
    "past_due, cancel now": (
        PAST_DUE,
        CancelNow(LATER, refund_amount=100),
        {},
        ok(
            R(PAST_DUE, status=Status.CANCELED, canceled_at=LATER, renewal_pending=False),  # paid_through stays T1
            VoidRenewal(1),
            Refund(100),
            EmailCancellationConfirmed(LATER),
        ),
    ),
    "past_due, period ended": (PAST_DUE, PeriodEnded(T2), {}, no("renewal failed and is being retried")),
    "past_due, comp": (
        PAST_DUE,
        CompGranted(LATER, until=COMP_UNTIL),
        {},
        ok(
            R(PAST_DUE, **COMPED, **NOT_FAILING, period_index=1, current_period_start=T1),
            VoidRenewal(1),
            EmailCompGranted(COMP_UNTIL),
        ),
    ),
    "past_due, plan change": (PAST_DUE, PLAN_CHANGE, {}, no("renewal failed and is being retried")),
    "past_due, new card": (
        R(PAST_DUE, has_payment_method=False),
        NEW_CARD,
        {},
        ok(PAST_DUE, ScheduleRetry(LATER, 1)),
    ),
    # unpaid: every retry failed; the renewal stays open
    "unpaid, checkout paid": (UNPAID, CHECKOUT_PAID, {}, no("its renewal is unpaid")),
    "unpaid, checkout failed": (UNPAID, CHECKOUT_FAILED, {}, no("its renewal is unpaid")),
    "unpaid, paid at last": (UNPAID, RENEWAL_PAID, {}, ok(R(UNPAID, **RENEWED, **NOT_FAILING), EmailReceipt(1))),
    "unpaid, manual retry failed": (
        UNPAID,
        RenewalFailed(LATER),
        {},
        ok(R(UNPAID, failed_attempts=6), EmailPaymentFailed(1, final=True)),
    ),
    "unpaid, cancel at end": (UNPAID, CANCEL_AT_END, {}, no("its renewal is unpaid")),
    "unpaid, resume": (UNPAID, RESUME, {}, no("its renewal is unpaid")),
    "unpaid, cancel now": (
        UNPAID,
        CancelNow(LATER),
        {},
        ok(
            R(UNPAID, status=Status.CANCELED, canceled_at=LATER, renewal_pending=False),
            VoidRenewal(1),
            EmailCancellationConfirmed(LATER),
        ),
    ),
    "unpaid, period ended": (UNPAID, PeriodEnded(T2), {}, no("its renewal is unpaid")),
    "unpaid, comp": (
        UNPAID,
        CompGranted(LATER, until=COMP_UNTIL),
        {},
        ok(
            R(UNPAID, **COMPED, **NOT_FAILING, period_index=1, current_period_start=T1),
            VoidRenewal(1),
            EmailCompGranted(COMP_UNTIL),
        ),
    ),
    "unpaid, plan change": (UNPAID, PLAN_CHANGE, {}, no("its renewal is unpaid")),
    "unpaid, new card": (UNPAID, NEW_CARD, {}, ok(UNPAID, ScheduleRetry(LATER, 1))),
    # canceled is final
    "canceled, checkout paid": (CANCELED, CHECKOUT_PAID, {}, no("stays canceled")),
    "canceled, checkout failed": (CANCELED, CHECKOUT_FAILED, {}, no("stays canceled")),
    "canceled, renewal paid": (CANCELED, RENEWAL_PAID, {}, no("stays canceled")),
    "canceled, renewal failed": (CANCELED, RENEWAL_FAILED, {}, no("stays canceled")),
    "canceled, cancel at end": (CANCELED, CANCEL_AT_END, {}, no("stays canceled")),
    "canceled, resume": (CANCELED, RESUME, {}, no("stays canceled")),
    "canceled, cancel now": (CANCELED, CANCEL_NOW, {}, no("stays canceled")),
    "canceled, period ended": (CANCELED, PERIOD_ENDED, {}, no("stays canceled")),
    "canceled, comp": (CANCELED, COMP, {}, no("stays canceled")),
    "canceled, plan change": (CANCELED, PLAN_CHANGE, {}, no("stays canceled")),
    "canceled, new card": (CANCELED, NEW_CARD, {}, no("stays canceled")),
}


@pytest.mark.parametrize(("state", "event", "kwargs", "expected"), TABLE.values(), ids=TABLE.keys())
def test_it_moves_or_refuses_as_documented(state, event, kwargs, expected):
    if isinstance(expected, Transition):
        assert transition(state, event, **kwargs) == expected
    else:
        with pytest.raises(InvalidTransition, match=expected) as refused:
            transition(state, event, **kwargs)
        assert (refused.value.state, refused.value.event) == (state, event)


def test_the_table_covers_every_status_and_event():
    covered = {(state.status, type(event)) for state, event, _, _ in TABLE.values()}
    assert covered == {(status, kind) for status in Status for kind in ALLOWED_FROM}


def test_the_table_agrees_with_the_statuses_each_event_allows():
    for state, event, _, expected in TABLE.values():
        if state.status not in ALLOWED_FROM[type(event)]:
            assert not isinstance(expected, Transition)


def test_it_retries_from_the_first_failure_then_gives_up():
    state, retries = RENEWING, []
    failed_at = T1
    for _ in range(5):
        result = transition(state, RenewalFailed(failed_at))
        state = result.state
        retries += [effect.at for effect in result.effects if isinstance(effect, ScheduleRetry)]
        failed_at = retries[-1] + dt.timedelta(hours=5) if retries else failed_at  # each retry runs a little late
    assert retries == [T1 + DAY, T1 + 3 * DAY, T1 + 5 * DAY, T1 + 7 * DAY]
    assert (state.status, state.failed_attempts) == (Status.UNPAID, 5)


def test_with_no_retries_the_first_failure_is_final():
    result = transition(RENEWING, RENEWAL_FAILED, retry_days=(), final_status=Status.CANCELED)
    assert result.state.status == Status.CANCELED


def test_it_refuses_a_final_status_that_is_not_final():
    with pytest.raises(ValueError, match="final_status"):
        transition(RENEWING, RENEWAL_FAILED, final_status=Status.PAST_DUE)


def test_it_refuses_something_that_is_not_an_event():
    with pytest.raises(TypeError, match="not a subscription event"):
        transition(ACTIVE, "cancel")


@pytest.mark.parametrize(
    "make",
    [
        lambda: PeriodEnded(dt.datetime(2027, 1, 31)),  # noqa: DTZ001
        lambda: CheckoutPaid(T0, period_start=T0, period_end=dt.datetime(2027, 2, 28)),  # noqa: DTZ001
        lambda: CancelNow(T0, refund_amount=-1),
        lambda: CancelNow(T0, refund_amount=1.5),
        lambda: CompGranted(T1, until=T0),
    ],
)
def test_events_refuse_nonsense(make):
    with pytest.raises(ValueError):
        make()


def test_it_takes_the_models_plain_status_strings():
    assert SubState("past_due").status is Status.PAST_DUE
    with pytest.raises(ValueError):
        SubState("paused")


def test_a_subscription_bought_through_an_offer_lives_by_its_schedule():
    plan_schedule = schedule(PlanTerms(1500, "USD"), OfferTerms(OfferKind.INTRO_PRICE, 99, 1), T0)
    first = plan_schedule.charge(0)
    state = transition(SubState(), CheckoutPaid(T0, first.period_start, first.period_end)).state
    for _ in range(3):
        result = transition(state, PeriodEnded(state.current_period_end))
        [charge_renewal] = result.effects
        charge = plan_schedule.charge(charge_renewal.index)
        state = transition(result.state, RenewalPaid(charge.due, charge.period_start, charge.period_end)).state
    assert state.period_index == 3
    assert [state.current_period_start, state.paid_through] == [
        dt.datetime(2027, 4, 30, 12, tzinfo=dt.UTC),
        dt.datetime(2027, 5, 31, 12, tzinfo=dt.UTC),
    ]


# -- properties ---------------------------------------------------------------------------------------------------


def candidate_events(state: SubState, now: dt.datetime, draw) -> list:
    """Events that might plausibly arrive next; some are invalid, which is part of what is tested.

    Weighted towards what moves a subscription along (period ends, renewals and their failures), so that
    random lives reach dunning, comps and plan changes rather than ending early in a cancellation.
    """
    end = state.current_period_end or now + 30 * DAY
    renewal_end = end + draw(st.integers(1, 400)) * DAY
    failures = [RenewalFailed(now)] * (4 if state.renewal_pending else 1)
    return [
        CheckoutPaid(now, now, now + 30 * DAY, trial=draw(st.booleans()), payment_method=draw(st.booleans())),
        CheckoutFailed(now),
        RenewalPaid(now, end, renewal_end),
        *failures,
        CancelAtPeriodEnd(now),
        Resume(now),
        CancelNow(now, refund_amount=draw(st.integers(0, 2000))),
        PeriodEnded(max(now, end)),
        PeriodEnded(max(now, end)),
        CompGranted(now, until=now + draw(st.integers(1, 90)) * DAY),
        PlanChangeScheduled(now, plan=draw(st.sampled_from(["monthly", "yearly"]))),
        PaymentMethodUpdated(now),
    ]


@settings(max_examples=300)
@given(data=st.data(), final_status=st.sampled_from([Status.UNPAID, Status.CANCELED]))
def test_random_lives_keep_the_invariants(data, final_status):
    # Lives start at checkout, or part-way through one (dunning is several failures deep).
    state = data.draw(st.sampled_from([SubState(), TRIALING, ACTIVE, RENEWING, PAST_DUE, LAST_RETRY, UNPAID]))
    now, charged = T0, set()
    for _ in range(data.draw(st.integers(1, 40))):
        now += data.draw(st.integers(0, 10)) * DAY
        event = data.draw(st.sampled_from(candidate_events(state, now, data.draw)))
        try:
            result = transition(state, event, final_status=final_status)
        except InvalidTransition:
            continue
        new, effects = result.state, result.effects
        assert state.status != Status.CANCELED, "a canceled subscription stays canceled"
        if state.paid_through is not None:
            if isinstance(event, CancelNow):
                assert new.paid_through == min(state.paid_through, event.at)  # access ends now: the one way back
            else:
                assert new.paid_through >= state.paid_through, "paid_through never goes backwards"
        assert new.period_index >= state.period_index
        for effect in effects:
            if isinstance(effect, ChargeRenewal):
                assert effect.index not in charged, f"charge {effect.index} asked for twice"
                assert new.renewal_pending and effect.index == new.renewal_index
                charged.add(effect.index)
            if isinstance(effect, ScheduleRetry):
                assert new.renewal_pending and effect.index == new.renewal_index
        if new.status in (Status.TRIALING, Status.ACTIVE):
            assert new.failed_attempts == 0
        if new.status in (Status.INCOMPLETE, Status.CANCELED):
            assert not new.renewal_pending
        state, now = new, max(now, event.at)
