"""The role matrix rows of the dashboards (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
