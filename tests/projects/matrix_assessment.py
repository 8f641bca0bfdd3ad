"""The role matrix rows of acceptance and performance assessment batches (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
