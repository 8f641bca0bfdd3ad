"""The role matrix rows of award decisions and projects (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
