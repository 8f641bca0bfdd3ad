"""Login, logout, lockout, password rules and API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from chanjiao.core.models import AuditEntry
from chanjiao.core.permissions import Actor, Role
from chanjiao.orgs.models import ApiToken, Membership, User
from chanjiao.orgs.selectors import actor_for, organizations_for, people_for
from tests.conftest import PASSWORD, ApiClient, client_for, error_codes
from tests.factories import make_person

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def obtain_token(username: str, password: str, **extra):
    return Client().post(
        "/api/v1/auth/token",
        data={"username": username, "password": password, **extra},
        content_type="application/json",
    )


def local_minute(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


# --- login and logout pages -------------------------------------------------------------------


def test_login_page_logs_in_and_goes_home(school_admin):
    # given a person with a password
    client = Client()
    # when they log in on the page
    response = login(client, "school_admin", PASSWORD)
    # then they land on the home page, logged in
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_page_refuses_a_wrong_password_in_chinese(school_admin):
    response = login(Client(), "school_admin", "wrong-password-1")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_logout_needs_post_and_ends_the_session(school_admin):
    # given a logged-in person
    client = client_for(school_admin)
    # when they log out with a GET, nothing happens; with a POST the session ends
    assert client.get("/logout/").status_code == 405
    assert client.get("/").status_code == 200
    response = client.post("/logout/")
    # then they are sent to the login page and the home page asks for login again
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/")["Location"].startswith("/login/")


# --- lockout ----------------------------------------------------------------------------------


def test_five_failures_on_the_page_lock_the_account_even_for_the_right_password(school_admin, settings):
    # given the limit of five failures in fifteen minutes
    assert settings.LOGIN_FAILURE_LIMIT == 5
    assert settings.LOGIN_LOCKOUT_MINUTES == 15
    client = Client()
    # when five wrong passwords are tried
    for _ in range(5):
        assert login(client, "school_admin", "wrong-password-1").status_code == 200
    # then the right password is refused too, and the page says until when (Beijing time)
    user = User.objects.get(username="school_admin")
    assert user.locked_until is not None
    assert user.locked_until - timezone.now() > dt.timedelta(minutes=14)
    response = login(client, "school_admin", PASSWORD)
    html = response.content.decode()
    assert "账户已锁定至" in html
    assert local_minute(user.locked_until) in html
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_and_a_success_resets_the_count(school_admin):
    client = Client()
    for _ in range(4):
        login(client, "school_admin", "wrong-password-1")
    assert User.objects.get(username="school_admin").failed_login_count == 4
    # when the right password comes before the fifth failure
    assert login(client, "school_admin", PASSWORD).status_code == 302
    # then the count starts again
    user = User.objects.get(username="school_admin")
    assert user.failed_login_count == 0
    assert user.locked_until is None


def test_failures_spread_beyond_the_window_do_not_lock(school_admin):
    # given four failures now
    start = timezone.now()
    for _ in range(4):
        login(Client(), "school_admin", "wrong-password-1")
    # when the fifth comes sixteen minutes later
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=16)):
        login(Client(), "school_admin", "wrong-password-1")
    # then the window started again and the account is not locked
    user = User.objects.get(username="school_admin")
    assert user.locked_until is None
    assert user.failed_login_count == 1


def test_the_lock_ends_after_the_lockout_minutes(school_admin):
    # given a locked account
    for _ in range(5):
        login(Client(), "school_admin", "wrong-password-1")
    locked_until = User.objects.get(username="school_admin").locked_until
    # when the right password comes just before and just after the lock ends
    with mock.patch("django.utils.timezone.now", return_value=locked_until - dt.timedelta(seconds=5)):
        assert login(Client(), "school_admin", PASSWORD).status_code == 200
    with mock.patch("django.utils.timezone.now", return_value=locked_until + dt.timedelta(seconds=5)):
        response = login(Client(), "school_admin", PASSWORD)
    # then only the second logs in
    assert response.status_code == 302


def test_api_token_endpoint_counts_failures_and_refuses_a_locked_account(school_admin):
    # given three failures on the page and two on the API (one count for both doors)
    for _ in range(3):
        login(Client(), "school_admin", "wrong-password-1")
    for _ in range(2):
        response = obtain_token("school_admin", "wrong-password-1")
        assert response.status_code == 401
        assert error_codes(response) == ["auth.invalid"]
    # when the right password is sent to the API
    response = obtain_token("school_admin", PASSWORD)
    # then it is refused as locked, saying until when, and no token is made
    assert response.status_code == 401
    assert error_codes(response) == ["auth.locked"]
    locked_until = User.objects.get(username="school_admin").locked_until
    assert local_minute(locked_until) in response.json()["errors"][0]["message"]
    assert not ApiToken.objects.exists()


def test_unknown_username_is_refused_like_a_wrong_password():
    response = obtain_token("nobody-here", "whatever-123")
    assert response.status_code == 401
    assert error_codes(response) == ["auth.invalid"]


# --- password rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("abc12", "密码长度太短"),  # shorter than 10
        ("abcdefghijkl", "密码须同时包含字母和数字"),  # letters only
        ("1234567890123", "密码只包含数字"),  # digits only
        ("password123", "这个密码太常见了"),  # on Django's common list
    ],
)
def test_password_change_enforces_the_rules_in_chinese(school_admin, password, message):
    # given a logged-in person changing their password
    client = client_for(school_admin)
    # when the new password breaks a rule
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    # then the page says which rule, in Chinese, and the old password still works
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.get(pk=school_admin.pk).check_password(PASSWORD)


def test_password_change_accepts_a_good_password(school_admin):
    client = client_for(school_admin)
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": "Chanjiao-2027x", "new_password2": "Chanjiao-2027x"},
    )
    assert response.status_code == 302
    assert User.objects.get(pk=school_admin.pk).check_password("Chanjiao-2027x")


# --- API tokens -------------------------------------------------------------------------------


def test_token_obtained_with_password_works_and_only_its_sha256_is_stored(school_admin, school):
    # when a person exchanges their password for a token
    response = obtain_token("school_admin", PASSWORD, name="教务系统")
    assert response.status_code == 200
    key = response.json()["token"]
    # then only the SHA-256 of the key is stored, never the key
    row = ApiToken.objects.get()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {row.name, row.prefix, row.key_hash}
    assert row.organization_id == school.pk == response.json()["organization_id"]
    # and the token authenticates as the person, acting for the school
    me = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.json()["organization_id"] == school.pk


def test_token_is_bound_to_the_organisation_chosen_at_creation(regions, school, enterprise):
    # given a person who is school staff and enterprise admin
    make_person("dual", school, Role.ORG_STAFF, password=PASSWORD)
    make_person("dual", enterprise, Role.ORG_ADMIN)
    # when they take a token for the enterprise
    response = obtain_token("dual", PASSWORD, organization_id=enterprise.pk)
    key = response.json()["token"]
    # then the token acts for the enterprise with its roles, whatever the browser session chose
    client = client_for(User.objects.get(username="dual"), organization=school)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["organization_id"] == enterprise.pk
    assert me["roles"] == ["org_admin"]
    assert client.get("/api/v1/me").json()["organization_id"] == school.pk


def test_token_for_an_organisation_the_person_is_not_in_is_refused(school_admin, other_school):
    response = obtain_token("school_admin", PASSWORD, organization_id=other_school.pk)
    assert response.status_code == 422
    assert error_codes(response) == ["organization.not_member"]
    assert not ApiToken.objects.exists()


def test_tokens_are_created_listed_and_revoked_through_the_api(school_admin):
    # given a person calling the API with a token
    client = ApiClient(school_admin)
    # when they create a second token
    created = client.post("/api/v1/tokens", {"name": "数据中心", "days": 30})
    assert created.status_code == 201
    body = created.json()
    new_key = body["token"]
    assert body["prefix"] == new_key[:10]
    # then the list shows both, without any key
    listed = client.get("/api/v1/tokens").json()
    assert listed["count"] == 2
    assert all("token" not in row for row in listed["items"])
    # and when they revoke the new one, it answers 401 from then on
    new_client = Client()
    auth = {"Authorization": f"Bearer {new_key}"}
    assert new_client.get("/api/v1/me", headers=auth).status_code == 200
    revoked = client.post(f"/api/v1/tokens/{body['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    response = new_client.get("/api/v1/me", headers=auth)
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_an_expired_token_gets_401(school_admin):
    client = ApiClient(school_admin)
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401


def test_a_token_of_a_deactivated_person_gets_401(school_admin):
    client = ApiClient(school_admin)
    User.objects.filter(pk=school_admin.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_a_made_up_token_gets_401(school_admin):
    response = Client().get("/api/v1/me", headers={"Authorization": "Bearer cj_not-a-real-token"})
    assert response.status_code == 401


def test_token_days_outside_1_to_365_are_refused(school_admin):
    client = ApiClient(school_admin)
    before = ApiToken.objects.count()
    response = client.post("/api/v1/tokens", {"name": "x", "days": 400})
    assert response.status_code == 422
    assert error_codes(response) == ["input.less_than_equal"]
    assert ApiToken.objects.count() == before


def test_someone_elses_token_cannot_be_revoked_and_is_not_confirmed(school_admin, school_staff):
    # given a token of the school's staff member
    staff_client = ApiClient(school_staff)
    token = ApiToken.objects.get(user=school_staff)
    audits = AuditEntry.objects.count()
    # when the school's admin tries to revoke it
    response = ApiClient(school_admin).post(f"/api/v1/tokens/{token.pk}/revoke")
    # then it is 404 (not theirs to see), and the token still works
    assert response.status_code == 404
    assert AuditEntry.objects.count() == audits + 1  # only the admin's own token creation
    assert staff_client.get("/api/v1/me").status_code == 200


def test_token_page_shows_the_key_once_and_revokes(school_admin):
    # given the tokens page
    client = client_for(school_admin)
    # when a token is created there
    response = client.post("/tokens/", {"name": "脚本", "days": 7})
    html = response.content.decode()
    token = ApiToken.objects.get(user=school_admin)
    # then the key is on the page this once, and not on the next visit
    assert "data-new-token" in html
    assert "data-new-token" not in client.get("/tokens/").content.decode()
    # and revoking it from the page marks it revoked
    assert client.post(f"/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not token.is_usable


def test_token_create_and_revoke_are_audited(school_admin):
    client = ApiClient(school_admin)
    token = ApiToken.objects.get()
    created = AuditEntry.objects.get(action="api_token.create")
    assert created.object_id == str(token.pk)
    assert created.changes["organization_id"] == [None, token.organization_id]
    assert "key_hash" not in created.changes
    client.post(f"/api/v1/tokens/{token.pk}/revoke")
    revoked = AuditEntry.objects.get(action="api_token.revoke")
    assert revoked.changes["revoked_at"][0] is None
    assert revoked.changes["revoked_at"][1] is not None


def test_a_token_whose_membership_ended_outside_the_service_sees_nothing(school_staff, school):
    # given a staff member's token, and their role ended directly in the database (e.g. the admin)
    client = ApiClient(school_staff)
    Membership.objects.filter(user=school_staff).update(is_active=False)
    # then the token no longer authenticates, and an actor bound to the school has an empty scope
    assert client.get("/api/v1/me").status_code == 401
    assert client.get(f"/api/v1/organizations/{school.pk}").status_code == 401
    bound = Actor(user=school_staff, organization=school, roles=frozenset())
    assert not organizations_for(bound).exists()
    assert not people_for(bound).exists()
    assert actor_for(school_staff).organization is None


def test_a_token_is_checked_in_one_query_with_every_role_of_its_organisation(
    school_admin, school, enterprise, django_assert_num_queries
):
    # given a person who is admin and staff of the school, and staff of an enterprise too
    make_person("school_admin", school, Role.ORG_STAFF)
    make_person("school_admin", enterprise, Role.ORG_STAFF)
    client = ApiClient(school_admin, school)
    assert client.get("/api/v1/me").status_code == 200  # the first use notes when it was used
    # when the token calls the API again: one query checks it (then /me reads the memberships)
    with django_assert_num_queries(2):
        me = client.get("/api/v1/me").json()
    # then it acts for the school with both of the person's roles there, and no other
    assert me["organization_id"] == school.pk
    assert me["roles"] == sorted([Role.ORG_ADMIN, Role.ORG_STAFF])
    # and once one role ends the other still counts
    Membership.objects.filter(user=school_admin, organization=school, role=Role.ORG_ADMIN).update(
        is_active=False
    )
    assert client.get("/api/v1/me").json()["roles"] == [Role.ORG_STAFF]


def test_a_token_of_a_deactivated_organisation_gets_401(school_admin, school):
    client = ApiClient(school_admin, school)
    assert client.get("/api/v1/me").status_code == 200
    type(school).objects.filter(pk=school.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_a_token_used_again_within_five_minutes_writes_nothing(school_admin, django_assert_num_queries):
    client = ApiClient(school_admin)
    assert client.get("/api/v1/me").status_code == 200
    first_use = ApiToken.objects.get(user=school_admin).last_used_at
    assert first_use is not None
    with django_assert_num_queries(2):
        assert client.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.get(user=school_admin).last_used_at == first_use
    # while a token last used more than five minutes ago notes the new use
    ApiToken.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=6))
    with django_assert_num_queries(3):
        assert client.get("/api/v1/me").status_code == 200
    assert ApiToken.objects.get(user=school_admin).last_used_at > first_use
