"""A bank's own client: it knows nothing of our code, only HTTP, OAuth and the published key set, and verifies a
report offline with a JOSE library (joserfc) after fetching the keys once."""

import base64
import json

import pytest
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from tests.factories.partners import make_consent


class BankClient:
    def __init__(self, client, client_id: str, secret: str):
        self.client, self.client_id, self.secret = client, client_id, secret
        self.keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json())  # fetched once, cached

    def token(self) -> str:
        basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        answer = self.client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "client_credentials", "scope": "credit_report"},
            headers={"Authorization": f"Basic {basic}"},
        )
        return answer.get_json()["access_token"]

    def fetch(self, consent_id: int) -> str:
        answer = self.client.get(
            f"/api/v1/partner/credit-reports/{consent_id}", headers={"Authorization": f"Bearer {self.token()}"}
        )
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()["jws"]

    def verify_offline(self, token: str) -> dict:
        found = jws.deserialize_compact(token, self.keys, algorithms=["Ed25519"])
        return json.loads(found.payload)


def test_a_bank_verifies_a_report_with_only_the_published_key(client, banks):
    consent = make_consent(banks.user, banks.bank, shares=("level", "score_band", "reasons"))
    bank = BankClient(client, banks.bank.client_id, banks.bank_secret)
    token = bank.fetch(consent.id)
    report = bank.verify_offline(token)
    assert report["consent"]["id"] == consent.id and report["institution"]["name"] == "慈溪农商银行"
    assert report["rule_set"]["version"] == 1 and report["as_of"] and report["level"]["code"]
    header, _payload, signature = token.split(".")
    forged_payload = (
        base64.urlsafe_b64encode(json.dumps({**report, "level": {"code": "AAA", "label": "优秀"}}).encode())
        .decode()
        .rstrip("=")
    )
    with pytest.raises(JoseError):
        bank.verify_offline(f"{header}.{forged_payload}.{signature}")
