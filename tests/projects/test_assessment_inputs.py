"""The figures acceptance and performance are scored on, computed from the projects' reports
(projects.assessment_inputs): only submitted and accepted reports count; shares to four places;
whether every report due is in; the performance KPIs of the construction year that ends in the
assessed calendar year, or summed over every year at the end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chanjiao.projects import checks
from chanjiao.projects.assessment_inputs import (
    acceptance_inputs,
    construction_year_of,
    performance_inputs,
)
from chanjiao.projects.models import Project

from .assessment_factories import add_report, backdate, make_awarded_project, make_world

START = dt.date(2023, 3, 1)  # years end 2024-02-29, 2025-02-28, 2026-02-28; reports due 30 days after


@pytest.fixture
def world(regions, province_officer):
    return make_world(regions.anhui, province_officer)


@pytest.fixture
def project(world, school):
    return backdate(make_awarded_project(world, school, reports=False), START)


def test_acceptance_counts_submitted_and_accepted_reports_only(project):
    add_report(project, 1, status="accepted", enterprise="4000000", school="6000000")
    add_report(project, 2, status="submitted", enterprise="2000000", school="3000000")
    add_report(project, 3, status="draft", enterprise="9000000", school="0")
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=dt.date(2026, 6, 1))[project.pk]
    # 4,000,000 + 6,000,000 + 2,000,000 + 3,000,000; the draft's 9,000,000 does not count
    assert inputs["total_investment"] == "15000000"
    assert inputs["enterprise_share"] == "0.4000"
    assert inputs["conditions_hold"] is True


def test_a_returned_report_does_not_count(project):
    add_report(project, 1, status="returned")
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=dt.date(2026, 6, 1))[project.pk]
    assert inputs["total_investment"] == "0"
    assert inputs["enterprise_share"] is None  # nothing received: no share
    assert inputs["workstation_share"] is None


def test_shares_are_rounded_to_four_places(project):
    add_report(project, 1, enterprise="1000000", school="2000000", social_hours="200", teaching_hours="400")
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=dt.date(2026, 6, 1))[project.pk]
    assert inputs["enterprise_share"] == "0.3333"
    assert inputs["workstation_share"] == "0.3333"


def test_enterprise_staff_training_counts_as_provided_to_enterprises(project):
    report = add_report(project, 1, social_hours="0", teaching_hours="300")
    report.usage.create(purpose="enterprise_staff", hours="100", people=5)
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=dt.date(2026, 6, 1))[project.pk]
    assert inputs["workstation_share"] == "0.2500"


@pytest.mark.parametrize(
    ("reported", "today", "on_time"),
    [
        ((1, 2, 3), dt.date(2026, 6, 1), True),
        ((1, 2), dt.date(2026, 6, 1), False),  # period 3 was due on 2026-03-30
        ((1, 2), dt.date(2026, 3, 30), True),  # due today: not yet late
        ((1, 2), dt.date(2026, 3, 31), False),
        ((), dt.date(2024, 3, 30), True),  # nothing due yet
    ],
)
def test_reports_on_time_needs_every_period_due(project, reported, today, on_time):
    for period in reported:
        add_report(project, period)
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=today)[project.pk]
    assert inputs["reports_on_time"] is on_time


def test_whole_amounts_are_written_without_an_exponent(project):
    add_report(project, 1, enterprise="10000000", school="20000000")
    inputs = acceptance_inputs(Project.objects.filter(pk=project.pk), today=dt.date(2026, 6, 1))[project.pk]
    assert inputs["total_investment"] == "30000000"


def test_construction_year_of_a_calendar_year(project):
    plan = checks.load(Project.objects.filter(pk=project.pk))[0][1]
    assert [construction_year_of(plan, y) for y in (2023, 2024, 2025, 2026, 2027)] == [None, 1, 2, 3, None]


def test_performance_reads_the_year_that_ends_in_the_calendar_year(project):
    add_report(project, 1, kpis={"patents": "1", "research_projects": "2"})
    add_report(project, 2, kpis={"patents": "3", "transfer_projects": "1"})
    add_report(project, 3, kpis={"patents": "5"})
    qs = Project.objects.filter(pk=project.pk)
    year_2025 = performance_inputs(qs, year=2025, final=False)[project.pk]
    assert year_2025["patents"] == "3"
    assert year_2025["transfer_projects"] == "1"
    assert year_2025["research_projects"] is None  # no report of that year gives it
    assert year_2025["conditions_hold"] is True
    # a calendar year in which no construction year ends: nothing
    assert performance_inputs(qs, year=2023, final=False)[project.pk]["patents"] is None
    # at the end: every year summed
    final = performance_inputs(qs, year=2026, final=True)[project.pk]
    assert final["patents"] == "9"
    assert final["research_projects"] == "2"


def test_tech_service_income_from_the_reports_income_in_wan(project):
    report = add_report(project, 1, kpis={})
    report.tech_service_income = {"consulting": "800000", "training": "450000"}
    report.save()
    inputs = performance_inputs(Project.objects.filter(pk=project.pk), year=2024, final=False)[project.pk]
    assert inputs["tech_service_income"] == "125"  # 1,250,000 元 = 125 万元


def test_every_input_is_present_for_every_project(world, school, other_school):
    first = backdate(make_awarded_project(world, school, reports=False), START)
    second = backdate(make_awarded_project(world, other_school, reports=False), START)
    add_report(first, 1)
    qs = Project.objects.filter(pk__in=[first.pk, second.pk])
    acceptance = acceptance_inputs(qs, today=dt.date(2026, 6, 1))
    performance = performance_inputs(qs, year=2024, final=False)
    assert set(acceptance) == set(performance) == {first.pk, second.pk}
    assert set(acceptance[second.pk]) == {
        "total_investment",
        "enterprise_share",
        "workstation_share",
        "reports_on_time",
        "conditions_hold",
    }
    assert performance[second.pk]["patents"] is None
    assert performance[first.pk]["patents"] == "5"


def test_one_set_of_queries_whatever_the_number_of_projects(world, school, django_assert_num_queries):
    projects = [backdate(make_awarded_project(world, school, reports=False), START) for _ in range(5)]
    for p in projects:
        add_report(p, 1)
        add_report(p, 2)
    single = Project.objects.filter(pk=projects[0].pk)
    every = Project.objects.filter(pk__in=[p.pk for p in projects])
    with CaptureQueriesContext(connection) as one_project:
        acceptance_inputs(single, today=dt.date(2026, 6, 1))
    with django_assert_num_queries(len(one_project.captured_queries)):
        result = acceptance_inputs(every, today=dt.date(2026, 6, 1))
    assert len(result) == 5
