"""The role matrix rows of publicity and objections (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
