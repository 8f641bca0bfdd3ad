"""The role matrix rows of the task book and change requests (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
