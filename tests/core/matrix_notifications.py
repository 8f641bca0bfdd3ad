"""The role matrix rows of notifications and the holiday list (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
