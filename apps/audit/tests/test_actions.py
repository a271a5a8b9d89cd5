def test_nul_characters_from_callers_never_stop_an_event(db):
    """PostgreSQL refuses NUL in text and JSON: an event quoting a hostile value is still written."""
    from apps.audit.actions import record_event
    from apps.audit.models import Action, Event, Outcome

    record_event(
        Action.OAUTH_CLIENT_AUTH_FAILED,
        target_name="a\x00b",
        target_id="c\x00",
        actor_name="d\x00",
        detail={"client_id": "a\x00b", "k\x00": ["x\x00"]},
        outcome=Outcome.FAILURE,
    )
    event = Event.objects.get()
    assert event.target_name == "a\ufffdb" and event.target_id == "c\ufffd" and event.actor_name == "d\ufffd"
    assert event.detail == {"client_id": "a\ufffdb", "k\ufffd": ["x\ufffd"]}
