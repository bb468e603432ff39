import pytest
from django.urls import reverse
from django.utils import timezone

from tenants.models import ApiToken
from tenants.services.tokens import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/settings/tokens/", "/settings/tokens/1/revoke/"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_created_token_is_shown_once(client, world):
    client.force_login(world.developer)
    response = client.post("/settings/tokens/", {"name": "CI deploys", "expires_in_days": "30"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.developer)
    body = response.content.decode()
    raw = body.split('id="raw-token" class="token-value" type="text" readonly value="')[1].split('"')[0]
    assert raw.startswith(token.prefix)
    assert token.expires_at is not None
    assert raw not in client.get("/settings/tokens/").content.decode()


def test_token_list_shows_prefix_created_and_last_used(client, world):
    token, _ = api_token_create(user=world.developer, name="laptop")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    api_token_create(user=world.outsider, name="not mine")
    client.force_login(world.developer)
    body = client.get("/settings/tokens/").content.decode()
    assert f"<code>{token.prefix}…</code>" in body
    assert "laptop" in body
    assert "<td>now</td>" in body.split("laptop")[1].split("</tr>")[0]  # last used
    assert "not mine" not in body


def test_token_form_errors_rerender(client, world):
    client.force_login(world.developer)
    response = client.post("/settings/tokens/", {"name": "", "expires_in_days": "0"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in body
    assert "greater than or equal to 1" in body
    assert not ApiToken.objects.exists()


def test_empty_token_list_says_what_to_do(client, world):
    client.force_login(world.developer)
    assert "No tokens yet." in client.get("/settings/tokens/").content.decode()


def test_someone_elses_token_is_404(client, world):
    token, _ = api_token_create(user=world.outsider, name="theirs")
    client.force_login(world.developer)
    url = reverse("token_revoke", args=[token.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_confirms_then_revokes(client):
    user = UserFactory()
    token, _ = api_token_create(user=user, name="old")
    client.force_login(user)
    url = reverse("token_revoke", args=[token.pk])
    assert "Revoke token" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_new_tokens_expire_in_90_days_unless_asked_otherwise(client, world):
    client.force_login(world.developer)
    form = client.get("/settings/tokens/").content.decode()
    assert 'name="expires_in_days" value="90"' in form
    client.post("/settings/tokens/", {"name": "default", "expires_in_days": "90"})
    client.post("/settings/tokens/", {"name": "forever", "expires_in_days": ""})
    default = ApiToken.objects.get(name="default")
    assert (default.expires_at - timezone.now()).days == 89  # 90 days less the seconds since
    assert ApiToken.objects.get(name="forever").expires_at is None


def test_created_token_has_a_copy_button_for_its_field(client, world):
    client.force_login(world.developer)
    body = client.post("/settings/tokens/", {"name": "ci", "expires_in_days": "1"}).content.decode()
    assert 'data-copy-from="raw-token"' in body and 'id="raw-token"' in body
    assert "js/console.js" in body
