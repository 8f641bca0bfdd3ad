"""One application per school per call holds under a race: the database decides, not an `if`."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction

from chanjiao.applications import services
from chanjiao.applications.models import Application, ApplicationVersion, Status
from chanjiao.core.errors import DomainError
from tests.conftest import actor_of

from .conftest import attach_required
from .factories import complete_draft

THREADS = 12


def test_the_database_refuses_a_second_application_in_the_same_slot(setting, school, school_admin):
    # given a draft in slot 1
    actor = actor_of(school_admin, school)
    first = services.application_create(actor=actor, call=setting.call, project_type=setting.project_type)
    assert first.slot == 1
    # when a second row for the same school, call and slot is written past the services
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.create(
            call=setting.call,
            project_type=setting.project_type,
            applicant=school,
            city_code=first.city_code,
            slot=1,
            created_by=school_admin,
        )
    # then only the first exists
    assert Application.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_submissions_make_exactly_one_application(
    regions, school, school_admin, enterprise, media
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent unique checks need PostgreSQL (SQLite serialises writers)")
    from .factories import make_call, make_edition, make_pack, make_project_type

    pack = make_pack(regions.anhui)
    project_type = make_project_type(pack)
    call = make_call(pack, [project_type], edition=make_edition())
    barrier = threading.Barrier(THREADS)
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def apply() -> None:
        try:
            actor = actor_of(school_admin, school)
            barrier.wait(timeout=30)
            app = services.application_create(actor=actor, call=call, project_type=project_type)
            services.application_save_draft(actor=actor, application=app, data=complete_draft(enterprise))
            attach_required(app, school_admin, school, enterprise)
            app.refresh_from_db()
            version = services.application_submit(
                actor=actor, application=app, expected_version=app.row_version
            )
            result = ("ok", version.number)
        except DomainError as exc:
            result = ("refused", [e.code for e in exc.errors])
        except Exception as exc:  # noqa: BLE001 - anything else is the test's failure, reported below
            result = ("error", repr(exc))
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=apply) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == THREADS
    succeeded = [o for o in outcomes if o[0] == "ok"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert [o for o in outcomes if o[0] == "error"] == []
    assert succeeded == [("ok", 1)]
    assert len(refused) == THREADS - 1
    assert all(codes == ["applicant.limit_per_call"] for _kind, codes in refused), refused
    assert Application.objects.filter(call=call, applicant=school).count() == 1
    assert Application.objects.get(call=call, applicant=school).status == Status.SUBMITTED
    assert ApplicationVersion.objects.filter(application__call=call).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_applicants_to_one_call_do_not_queue_behind_a_lock_on_the_call(
    regions, school, school_admin, enterprise, media
):
    """A write locks the application's row only, not the call, pack and project type all schools share."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers)")
    from chanjiao.policy.models import Call, PolicyPack, ProjectType

    from .factories import make_call, make_edition, make_pack, make_project_type

    pack = make_pack(regions.anhui)
    project_type = make_project_type(pack)
    call = make_call(pack, [project_type], edition=make_edition())
    actor = actor_of(school_admin, school)
    app = services.application_create(actor=actor, call=call, project_type=project_type)
    held, release = threading.Event(), threading.Event()

    def hold_locks() -> None:
        try:
            with transaction.atomic():
                Call.objects.select_for_update().get(pk=call.pk)
                PolicyPack.objects.select_for_update().get(pk=pack.pk)
                ProjectType.objects.select_for_update().get(pk=project_type.pk)
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_locks)
    holder.start()
    try:
        assert held.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        # while another school's write holds the call, its pack and project type, this draft is saved,
        # takes its files and is submitted without waiting
        services.application_save_draft(actor=actor, application=app, data=complete_draft(enterprise))
        attach_required(app, school_admin, school, enterprise)
        app.refresh_from_db()
        services.application_submit(actor=actor, application=app, expected_version=app.row_version)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
        release.set()
        holder.join(timeout=30)
    app.refresh_from_db()
    assert app.status == Status.SUBMITTED
