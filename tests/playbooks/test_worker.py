"""A real `tenure worker` follows the events into enrolments and runs the steps: a wait, then
a task for the owner, without anyone calling anything."""

from __future__ import annotations

from tenure.events.record import acting_via, event_record
from tenure.playbooks.models import Enrollment, StepRun
from tenure.todos.models import Task
from tests.factories import make_customer, make_user
from tests.jobs.workers import wait_until, worker_start, worker_stop
from tests.playbooks.conftest import make_playbook


def test_a_real_worker_enrols_and_advances_steps(database_url, settings):
    settings.EVENTS_DELIVERY = "worker"  # this process only writes; the worker follows
    make_playbook(
        slug="worker",
        steps=[{"kind": "wait", "days": 2 / 86_400}, {"kind": "task", "title": "Call {customer}"}],
    )
    owner = make_user()
    customers = [make_customer(owner=owner) for _ in range(3)]
    with acting_via("api"):
        for customer in customers:
            event_record(
                "stage.entered", subject="customer", subject_id=customer.pk,
                customer_id=customer.pk, data={"stage": "at_risk", "role": "at_risk"},
            )  # fmt: skip
    worker = worker_start(database_url)
    try:
        wait_until(
            lambda: Enrollment.objects.filter(status="completed").count() == 3,
            seconds=90, what="three enrolments completed by the worker",
        )  # fmt: skip
    finally:
        worker_stop(worker)
    assert sorted(Task.objects.values_list("customer_id", flat=True)) == sorted(
        c.pk for c in customers
    )
    assert StepRun.objects.filter(status="done").count() == 6
    for enrollment in Enrollment.objects.all():
        waited = enrollment.ended_at - enrollment.entered_at
        assert waited.total_seconds() >= 2  # the wait was kept
