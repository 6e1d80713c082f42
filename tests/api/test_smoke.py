def test_admin_key_lists_leads(admin_api):
    response = admin_api.get("/api/v1/leads")
    assert response.status_code == 200
    assert response.json() == {
        "data": [],
        "pagination": {
            "limit": 50,
            "offset": 0,
            "total": 0,
            "has_more": False,
            "next_cursor": None,
        },
    }
