from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from chanjiao.applications import services
from chanjiao.applications.models import Application
from tests.conftest import actor_of

from .factories import PDF, complete_draft, make_call, make_edition, make_pack, make_project_type


@dataclass
class Setting:
    pack: object
    project_type: object
    call: object
    edition: object


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def setting(regions, media) -> Setting:
    pack = make_pack(regions.anhui)
    pt = make_project_type(pack)
    edition = make_edition()
    call = make_call(pack, [pt], edition=edition)
    return Setting(pack, pt, call, edition)


def attach_required(app: Application, user, organization, partner) -> None:
    """Uploads the two attachments the project type asks for, the agreement signed by all parties."""
    actor = actor_of(user, organization)
    for code, signers in (
        ("co_building_agreement", [app.applicant_id, partner.pk]),
        ("construction_plan", []),
    ):
        services.application_attach(
            actor=actor,
            application=app,
            spec_code=code,
            file=SimpleUploadedFile(f"{code}.pdf", PDF + code.encode()),
            signed_by=signers,
        )


@pytest.fixture
def complete_application(setting, school_admin, school, enterprise):
    """A draft of the school's that satisfies every rule: create, save, attach."""

    def make(user=school_admin, org=school):
        actor = actor_of(user, org)
        app = services.application_create(actor=actor, call=setting.call, project_type=setting.project_type)
        services.application_save_draft(actor=actor, application=app, data=complete_draft(enterprise))
        attach_required(app, user, org, enterprise)
        app.refresh_from_db()
        return app

    return make
