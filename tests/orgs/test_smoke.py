from tests.conftest import client_for


def test_province_officer_home_shows_counts_from_their_province(
    province_officer, school, other_school, jiangsu_dept
):
    # given two Anhui schools and a Jiangsu department
    # when the Anhui province officer opens the home page
    response = client_for(province_officer).get("/")
    # then the school count is Anhui's only
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="school">2<' in html
    assert 'data-figure="org_total">3<' in html  # two schools and the province department


def test_api_me_names_the_acting_organisation(api, school_admin, school):
    response = api(school_admin).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["organization_id"] == school.pk
    assert body["roles"] == ["org_admin"]
