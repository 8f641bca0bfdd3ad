"""The role matrix rows of the acceptance and performance pages (tests/test_role_matrix.py); the
data builders are in tests/projects/matrix_assessment.py."""

PAGE_ROWS: list = []
API_ROWS: list = []
