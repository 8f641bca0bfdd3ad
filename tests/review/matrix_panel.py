"""The role matrix rows of panel, ranking and the recommendation (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
