"""The role matrix rows of the round's whole-process record (tests/test_role_matrix.py).

Province staff and the observer read their province's rounds' record (page, Excel, API); another
province's round is 404; everyone else is refused. The rounds are the review matrix's `main` ones
(tests/review/matrix.py), which have a draw and assignments on record.
"""

from __future__ import annotations

from chanjiao.review.permissions import READ_ROLES
from tests.test_role_matrix import API, Row

from .matrix import ROUND, of_foreign, of_side

R = "/review"

PAGE_ROWS = [
    Row(
        "review/rounds/<int:pk>/trail/",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/trail/", ROUND),
        foreign=of_foreign(R + "/rounds/{}/trail/", ROUND),
    ),
    Row(
        "review/rounds/<int:pk>/trail.xlsx",
        "GET",
        READ_ROLES,
        of_side(R + "/rounds/{}/trail.xlsx", ROUND),
        foreign=of_foreign(R + "/rounds/{}/trail.xlsx", ROUND),
    ),
]

API_ROWS = [
    Row(
        f"{API}/review-rounds/{{round_id}}/trail",
        "GET",
        READ_ROLES,
        of_side(API + "/review-rounds/{}/trail", ROUND),
        foreign=of_foreign(API + "/review-rounds/{}/trail", ROUND),
    ),
    Row(
        f"{API}/review-rounds/{{round_id}}/trail.xlsx",
        "GET",
        READ_ROLES,
        of_side(API + "/review-rounds/{}/trail.xlsx", ROUND),
        foreign=of_foreign(API + "/review-rounds/{}/trail.xlsx", ROUND),
    ),
]
