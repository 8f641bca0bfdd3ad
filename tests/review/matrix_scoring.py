"""The role matrix rows of scoring (score sheets) (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
