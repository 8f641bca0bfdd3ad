"""The role matrix rows of a school's track record fragment (tests/test_role_matrix.py).

Each persona asks about the organisation it may read (its TARGET: province staff and the observer
the Hefei school of their province, the Hefei bureau the Hefei school, a school's staff their own
school, the enterprise its own organisation) and about one outside its scope (FOREIGN: another
province's school, another city's, another organisation): 404. Experts and learners read no
projects: 403. Nothing is written.
"""

from __future__ import annotations

from chanjiao.projects.permissions import READ_ROLES
from tests.test_role_matrix import Row, foreign_org_url, org_url

PAGE_ROWS = [
    Row(
        "projects/record/<int:org_id>/",
        "GET",
        READ_ROLES,
        org_url("/projects/record/{}/"),
        foreign=foreign_org_url("/projects/record/{}/"),
    ),
]
API_ROWS: list[Row] = []
