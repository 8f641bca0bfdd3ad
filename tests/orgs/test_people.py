"""People: invitations with a set-password link, roles, revocation, and who sees whom."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from chanjiao.core.models import AuditEntry
from chanjiao.core.permissions import Role
from chanjiao.orgs.models import ApiToken, Membership, User
from tests.conftest import PASSWORD, ApiClient, client_for, error_codes, error_fields
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def invite_payload(organization, **overrides):
    return {
        "organization_id": organization.pk,
        "role": "org_staff",
        "username": "zhang_san",
        "display_name": "张三",
        "email": "zhangsan@example.cn",
        **overrides,
    }


def state():
    return User.objects.count(), Membership.objects.count(), AuditEntry.objects.count(), len(mail.outbox)


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/password/set/\S+/)", message.body).group(1)


def test_invited_person_sets_a_password_from_the_email_and_logs_in(
    province_officer, school, django_capture_on_commit_callbacks
):
    # given a province officer inviting a school's staff member through the API
    client = ApiClient(province_officer)
    # when the invitation is sent
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/people", invite_payload(school))
    # then the person exists with the role, no usable password yet, and one email went out
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "zhang_san"
    assert [(m["organization_id"], m["role"]) for m in body["memberships"]] == [(school.pk, "org_staff")]
    user = User.objects.get(username="zhang_san")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhangsan@example.cn"]
    assert "产教融合平台" in message.subject
    assert school.name in message.body
    # when they follow the link and choose a password that breaks the rules
    browser = Client()
    page = browser.get(link_in(message), follow=True)
    assert page.status_code == 200
    set_url = page.redirect_chain[-1][0]
    weak = browser.post(set_url, {"new_password1": "short1", "new_password2": "short1"})
    assert "密码长度太短" in weak.content.decode()
    assert not User.objects.get(pk=user.pk).has_usable_password()
    # and then a good one
    done = browser.post(set_url, {"new_password1": "Chanjiao-2026x", "new_password2": "Chanjiao-2026x"})
    assert done.status_code == 302
    assert done["Location"] == "/login/"
    # then they log in with it and act for the school
    assert browser.post("/login/", {"username": "zhang_san", "password": "Chanjiao-2026x"}).status_code == 302
    assert browser.get("/api/v1/me").json()["organization_id"] == school.pk
    # and the link does not work a second time
    again = Client().get(link_in(message), follow=True)
    assert "该链接无效或已过期" in again.content.decode()


def test_invitation_is_audited_with_the_new_values(province_officer, school):
    ApiClient(province_officer).post("/api/v1/people", invite_payload(school))
    entry = AuditEntry.objects.get(action="person.invite")
    user = User.objects.get(username="zhang_san")
    assert entry.object_id == str(user.pk)
    assert entry.changes["username"] == [None, "zhang_san"]
    assert entry.changes["role"] == [None, "org_staff"]
    assert entry.changes["organization"] == [None, school.name]
    assert entry.actor == province_officer


def test_school_admin_invites_on_the_page(school_admin, school, django_capture_on_commit_callbacks):
    client = client_for(school_admin)
    page = client.get("/people/invite/").content.decode()
    # the role list offers only what a school admin may grant
    assert 'value="org_staff"' in page
    assert 'value="province_admin"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/people/invite/",
            {
                "organization": school.pk,
                "role": "learner",
                "username": "li_si",
                "display_name": "李四",
                "email": "lisi@example.cn",
            },
        )
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="li_si", organization=school, role="learner").exists()
    assert len(mail.outbox) == 1
    assert "/password/set/" in mail.outbox[0].body
    assert mail.outbox[0].body.count("http://testserver/password/set/") == 1


def test_invite_page_shows_errors_at_the_fields_and_stores_nothing(school_admin, school):
    client = client_for(school_admin)
    before = state()
    response = client.post(
        "/people/invite/",
        {"organization": school.pk, "role": "org_staff", "username": "bad name!", "display_name": "某人"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-error-for="username"' in html
    assert 'data-error-for="email"' in html
    assert state() == before


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"role": "chief"}, "role", "invalid_choice"),
        ({"role": "province_admin"}, "role", "role.not_assignable"),  # not in a school
        ({"role": "city_admin"}, "role", "role.not_assignable"),
        ({"username": "has space"}, "username", "username.invalid"),
        ({"email": "not-an-email"}, "email", "email.invalid"),
        ({"email": ""}, "email", "required"),  # a new person needs the link
        ({"display_name": " "}, "display_name", "required"),
        ({"mobile": "12345"}, "mobile", "mobile.format"),
    ],
)
def test_invite_refuses_bad_input_and_changes_nothing(province_officer, school, overrides, field, code):
    client = ApiClient(province_officer)
    before = state()
    response = client.post("/api/v1/people", invite_payload(school, **overrides))
    assert response.status_code == 422
    assert (field, code) in zip(error_fields(response), error_codes(response), strict=True)
    assert state() == before


def test_province_roles_only_go_to_a_province_department(province_officer, province_dept, city_dept):
    client = ApiClient(province_officer)
    ok = client.post(
        "/api/v1/people",
        invite_payload(province_dept, role="observer", username="jijian", email="jj@example.cn"),
    )
    assert ok.status_code == 201
    refused = client.post(
        "/api/v1/people",
        invite_payload(city_dept, role="province_admin", username="fake", email="f@example.cn"),
    )
    assert refused.status_code == 422
    city = client.post(
        "/api/v1/people",
        invite_payload(city_dept, role="city_admin", username="hefei2", email="h@example.cn"),
    )
    assert city.status_code == 201


def test_school_admin_cannot_grant_region_wide_roles(school_admin, school):
    client = ApiClient(school_admin)
    before = state()
    for role in ("province_admin", "city_admin", "observer"):
        response = client.post("/api/v1/people", invite_payload(school, role=role))
        assert response.status_code == 422
        assert error_codes(response) == ["role.not_assignable"]
    assert state() == before


def test_inviting_an_existing_person_adds_the_role_and_a_repeat_is_409(
    province_officer, school_staff, enterprise
):
    client = ApiClient(province_officer)
    payload = invite_payload(enterprise, username="school_staff", email="", display_name="")
    response = client.post("/api/v1/people", payload)
    assert response.status_code == 201
    assert Membership.objects.filter(user=school_staff, organization=enterprise, is_active=True).exists()
    assert AuditEntry.objects.filter(action="membership.add").count() == 1
    before = state()
    again = client.post("/api/v1/people", payload)
    assert again.status_code == 409
    assert error_codes(again) == ["membership.exists"]
    assert state() == before


def test_staff_and_other_roles_cannot_invite(school_staff, learner, city_officer, school):
    for user in (school_staff, learner, city_officer):
        client = ApiClient(user)
        before = state()
        response = client.post("/api/v1/people", invite_payload(school))
        assert response.status_code == 403, user
        assert state() == before


def test_school_admin_cannot_invite_into_another_school(school_admin, other_school):
    client = ApiClient(school_admin)
    before = state()
    response = client.post("/api/v1/people", invite_payload(other_school))
    assert response.status_code == 404
    assert state() == before


# --- revoke -----------------------------------------------------------------------------------


def test_revoking_the_last_role_ends_the_persons_tokens_for_that_organisation(
    school_admin, school_staff, school
):
    # given a staff member with a working token
    staff_api = ApiClient(school_staff)
    assert staff_api.get("/api/v1/me").status_code == 200
    membership = Membership.objects.get(user=school_staff, organization=school)
    # when the school's admin revokes their role
    response = ApiClient(school_admin).post(f"/api/v1/memberships/{membership.pk}/revoke")
    # then the role is inactive, the token answers 401, and both are audited
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    membership.refresh_from_db()
    assert not membership.is_active
    assert staff_api.get("/api/v1/me").status_code == 401
    assert ApiToken.objects.get(user=school_staff).revoked_at is not None
    entry = AuditEntry.objects.get(action="membership.revoke")
    assert entry.changes["is_active"] == [True, False]
    assert entry.changes["role"] == ["org_staff", "org_staff"]
    assert AuditEntry.objects.filter(action="api_token.revoke", object_type="orgs.apitoken").count() == 1
    # and the person's session no longer acts for the school
    assert client_for(school_staff).get("/api/v1/me").json()["organization_id"] is None


def test_revoking_on_the_organisation_page(province_officer, school_staff, school):
    membership = Membership.objects.get(user=school_staff, organization=school)
    client = client_for(province_officer)
    page = client.get(f"/organizations/{school.pk}/").content.decode()
    assert f'data-membership="{membership.pk}"' in page
    response = client.post(f"/memberships/{membership.pk}/revoke/")
    assert response.status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active


def test_an_admin_cannot_revoke_the_role_they_act_with(school_admin, school):
    membership = Membership.objects.get(user=school_admin, organization=school)
    client = ApiClient(school_admin)
    before = state()
    response = client.post(f"/api/v1/memberships/{membership.pk}/revoke")
    assert response.status_code == 409
    assert error_codes(response) == ["membership.self_revoke"]
    assert state() == before
    membership.refresh_from_db()
    assert membership.is_active


def test_revoke_outside_the_scope_is_404_and_by_staff_is_403(school_admin, school_staff, other_school_admin):
    foreign = Membership.objects.get(user=other_school_admin)
    own = Membership.objects.get(user=school_staff)
    before = AuditEntry.objects.count()
    assert ApiClient(school_admin).post(f"/api/v1/memberships/{foreign.pk}/revoke").status_code == 404
    assert ApiClient(school_staff).post(f"/api/v1/memberships/{own.pk}/revoke").status_code == 403
    assert Membership.objects.filter(is_active=False).count() == 0
    assert AuditEntry.objects.count() == before + 2  # the two test tokens only


# --- who sees whom ----------------------------------------------------------------------------


def test_people_list_is_scoped(
    province_officer, school_admin, school_staff, other_school_admin, jiangsu_officer
):
    def usernames(user):
        return {row["username"] for row in ApiClient(user).get("/api/v1/people").json()["items"]}

    assert usernames(school_admin) == {"school_admin", "school_staff"}
    assert usernames(province_officer) == {"province", "school_admin", "school_staff", "other_admin"}
    assert usernames(jiangsu_officer) == {"js_province"}


def test_memberships_outside_the_scope_are_not_shown(school_admin, school_staff, jiangsu_dept, school):
    # given a staff member who also holds a role in Jiangsu
    make_person("school_staff", jiangsu_dept, Role.EXPERT)
    # when the school admin reads them, only the school's role shows
    body = ApiClient(school_admin).get(f"/api/v1/people/{school_staff.pk}").json()
    assert [m["organization_id"] for m in body["memberships"]] == [school.pk]


def test_person_outside_the_scope_is_404(school_admin, other_school_admin):
    response = ApiClient(school_admin).get(f"/api/v1/people/{other_school_admin.pk}")
    assert response.status_code == 404


def test_people_list_query_count_does_not_grow(province_officer, school, enterprise):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        make_person(f"p{i:02d}", school if i % 2 else enterprise, Role.ORG_STAFF)
    client = client_for(province_officer)
    api = ApiClient(province_officer)
    client.get("/people/")
    api.get("/api/v1/people")  # the token's first use records last_used_at
    sizes = []
    for size in (20, 50):
        with CaptureQueriesContext(connection) as page_ctx:
            assert client.get(f"/people/?page_size={size}").status_code == 200
        with CaptureQueriesContext(connection) as api_ctx:
            assert api.get(f"/api/v1/people?page_size={size}").status_code == 200
        sizes.append((len(page_ctx), len(api_ctx)))
    assert sizes[0] == sizes[1]


def test_acting_for_another_organisation(school, enterprise):
    # given a person who is staff at the school and admin at the enterprise
    user = make_person("dual", school, Role.ORG_STAFF, password=PASSWORD)
    make_person("dual", enterprise, Role.ORG_ADMIN)
    client = client_for(user)
    page = client.get("/acting/").content.decode()
    assert school.name in page
    assert enterprise.name in page
    assert "单位管理员" in page  # role labels, not codes
    # when they choose the enterprise
    first = client.get("/api/v1/me").json()["organization_id"]
    other = enterprise if first == school.pk else school
    response = client.post("/acting/", {"organization": other.pk})
    # then they act for it, with its roles, on pages and the API
    assert response.status_code == 302
    me = client.get("/api/v1/me").json()
    assert me["organization_id"] == other.pk
    assert me["roles"] == (["org_admin"] if other == enterprise else ["org_staff"])
    assert other.name in client.get("/").content.decode()


def test_acting_for_an_organisation_one_is_not_in_is_refused(school_admin, other_school, school):
    client = client_for(school_admin)
    response = client.post("/acting/", {"organization": other_school.pk}, follow=True)
    assert "您不是该单位的成员" in response.content.decode()
    assert client.get("/api/v1/me").json()["organization_id"] == school.pk
