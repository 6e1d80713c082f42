import pytest

from tests.factories import make_call, make_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(admin_user):
    return make_lead(name="Asha", phone="+919800000001", assigned_to=admin_user)


def requests_needing(lead):
    call = make_call(lead)
    return {
        "read": [
            ("get", "/api/v1/leads", None),
            ("get", f"/api/v1/leads/{lead.pk}", None),
            ("get", "/api/v1/call-logs", None),
            ("get", f"/api/v1/call-logs/{call.pk}", None),
        ],
        "write": [
            ("post", "/api/v1/leads", {"name": "X", "phone": "+919800000002"}),
            (
                "post",
                "/api/v1/call-logs",
                {"lead_id": str(lead.pk), "call_type": "Inbound", "duration_seconds": 5},
            ),
        ],
        "delete": [
            ("delete", f"/api/v1/call-logs/{call.pk}", None),
            ("delete", f"/api/v1/leads/{lead.pk}", None),
        ],
    }


def send(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


@pytest.mark.parametrize("needed", ["read", "write", "delete"])
def test_each_method_needs_its_own_toggle(admin_user, client_for, lead, needed):
    others = ",".join(p for p in ["read", "write", "delete"] if p != needed)
    without = client_for(admin_user, permissions=others)
    for method, path, body in requests_needing(lead)[needed]:
        response = send(without, method, path, body)
        assert response.status_code == 403, (method, path)
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert needed.capitalize() in error["message"]


@pytest.mark.parametrize("granted", ["read", "write", "delete"])
def test_a_single_toggle_grants_exactly_its_methods(admin_user, client_for, lead, granted):
    client = client_for(admin_user, permissions=granted)
    for method, path, body in requests_needing(lead)[granted]:
        assert send(client, method, path, body).status_code in (200, 201), (method, path)


def test_head_needs_read(admin_user, client_for):
    assert client_for(admin_user, permissions="write").head("/api/v1/leads").status_code == 403
    assert client_for(admin_user, permissions="read").head("/api/v1/leads").status_code == 200


def test_put_and_patch_need_write_before_anything_else(admin_user, client_for, lead):
    reader = client_for(admin_user, permissions="read")
    assert reader.patch(f"/api/v1/leads/{lead.pk}", {}, format="json").status_code == 403
    assert reader.put(f"/api/v1/leads/{lead.pk}", {}, format="json").status_code == 403
    writer = client_for(admin_user, permissions="write")
    assert (
        writer.patch(f"/api/v1/leads/{lead.pk}", {"city": "Pune"}, format="json").status_code == 200
    )
    # Removing a tag is a DELETE: it needs the Delete permission, not Write.
    assert writer.delete(f"/api/v1/leads/{lead.pk}/tags/vip").status_code == 403
