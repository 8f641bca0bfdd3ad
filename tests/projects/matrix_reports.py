"""The role matrix rows of periodic reports and plan alerts (tests/test_role_matrix.py)."""

PAGE_ROWS: list = []
API_ROWS: list = []
