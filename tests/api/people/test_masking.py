"""Committees see villagers' ID and phone numbers masked."""

from tests.conftest import body
from tests.factories import auth, make_staff, make_village, make_villager


def test_committee_sees_villager_with_masked_numbers(client):
    village = make_village()
    villager = make_villager(village)
    staff = make_staff("committee", village=village)
    response = client.get(f"/api/v1/villagers/{villager.id}", headers=auth(staff))
    assert response.status_code == 200, response.get_data(as_text=True)
    data = body(response)
    assert data["phone"] == "138****5678"
    assert data["id_number"].startswith("330282********")
