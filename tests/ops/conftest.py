import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The demo's review scenario stores the applications' attachments: in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
