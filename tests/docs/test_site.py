"""The guides are served by the app at /docs/ (WhiteNoise, public) and linked from where each role works."""

import pytest

from luckygas.delivery import roles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("/docs/", "LuckyGas 使用手冊"),
        ("/docs/index.html", "LuckyGas 使用手冊"),  # WhiteNoise redirects it to /docs/
        ("/docs/manager.html", "經理指南"),
        ("/docs/en/", "LuckyGas user guide"),
        ("/docs/en/finance.html", "Finance and admin guide"),
    ],
)
def test_the_guides_are_served_to_anyone_at_docs(client, url, text):
    response = client.get(url)
    if url.endswith("index.html"):
        assert (response.status_code, response["Location"]) == (302, "./")
        response = client.get(url.removesuffix("index.html"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert text in b"".join(response.streaming_content).decode()


def test_a_page_that_does_not_exist_is_a_404_not_a_500(client):
    assert client.get("/docs/nope.html").status_code == 404
    assert client.get("/docs/../manage.py").status_code == 404


def test_pictures_are_served(client):
    response = client.get("/docs/assets/screenshots/manager-dashboard.png")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"


@pytest.mark.parametrize(
    ("role", "url", "link"),
    [
        (roles.OFFICE, "/admin/", 'href="/docs/office.html"'),
        (roles.MANAGER, "/dashboard/", 'href="/docs/manager.html"'),
    ],
)
def test_the_admin_header_and_the_dashboard_link_the_role_s_guide(client, user_in_role, role, url, link):
    client.force_login(user_in_role(role))
    page = client.get(url).content.decode()
    assert link in page
    assert "使用說明" in page


def test_an_admin_s_header_links_the_finance_guide_in_english_when_english_is_chosen(client, admin_user):
    client.force_login(admin_user)
    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    page = client.get("/admin/").content.decode()
    assert 'href="/docs/en/finance.html">User guide<' in page
