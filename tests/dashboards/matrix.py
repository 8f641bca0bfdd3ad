"""The role matrix rows of the dashboards (tests/test_role_matrix.py).

The dashboard is one page whose figures follow the acting person's scope (`projects_for`): every role
that reads projects may open it and its exports; experts, learners and people without an
organisation may not (403). It names no object, so there is no out-of-scope URL to ask about; what
each scope sees is tested in tests/dashboards/test_dashboard.py.
"""

from __future__ import annotations

from chanjiao.projects.permissions import READ_ROLES
from tests.test_role_matrix import API, Row, fixed

PAGE_ROWS: list = [
    Row("dashboard/", "GET", READ_ROLES, fixed("/dashboard/")),
    Row("dashboard/export/<slug:table>.xlsx", "GET", READ_ROLES, fixed("/dashboard/export/alerts.xlsx")),
]
API_ROWS: list = [
    Row(f"{API}/dashboard", "GET", READ_ROLES, fixed(f"{API}/dashboard")),
]
