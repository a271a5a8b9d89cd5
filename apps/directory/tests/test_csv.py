from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.audit.models import Action, Event
from apps.directory import csv_io
from apps.directory.models import Membership, Origin, User
from apps.directory.tests.factories import add_member, create_test_group, create_test_user

pytestmark = pytest.mark.django_db

API = "/siteapi/oneid/"
EXPORT = API + "migration/user/csv/export/"
IMPORT = API + "migration/user/csv/import/"
HEADER = "username,name,email,private_email,mobile,gender,avatar,position,employee_number"


def exported(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="users-')
    return b"".join(response.streaming_content).decode("utf-8")


def upload(client, content: str | bytes, *, encoding: str = "utf-8", **data):
    raw = content.encode(encoding) if isinstance(content, str) else content
    data["users"] = SimpleUploadedFile("users.csv", raw, content_type="text/csv")
    return client.post(IMPORT, data, format="multipart")


def snapshot_users() -> list[tuple]:
    return list(User.objects.order_by("username").values_list("username", "name", "email", "mobile", "updated"))


# --- export --------------------------------------------------------------------------------


def test_export_has_bom_v1_columns_chinese_and_escaped_formulas(admin_client, admin_user):
    create_test_user(
        "zhang", name="张三", email="zhang@corp.com", mobile="+8618812345678", gender=1, position="=HYPERLINK(1)"
    )
    create_test_user("evil", name="@SUM(A1)", employee_number="-2+3", avatar="a.png")

    text = exported(admin_client.post(EXPORT, {}, format="json"))

    assert text.startswith("\ufeff" + HEADER + "\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["zhang"] == ["zhang", "张三", "zhang@corp.com", "", "'+8618812345678", "1", "", "'=HYPERLINK(1)", ""]
    assert by_name["evil"][1] == "'@SUM(A1)"
    assert by_name["evil"][6] == "a.png"
    assert by_name["evil"][8] == "'-2+3"
    assert [row[0] for row in rows[1:]] == ["admin", "zhang", "evil"]
    event = Event.objects.get(action=Action.USERS_EXPORTED)
    assert event.actor == admin_user
    assert event.detail["count"] == 3


def test_export_filters_by_get_query_or_post_body(admin_client):
    dept = create_test_group("Sales", uid="sales")
    add_member(dept, create_test_user("seller"))
    create_test_user("other")

    text = exported(admin_client.get(EXPORT + "?group_uids=d_sales"))
    assert [line.split(",")[0] for line in text.lstrip("\ufeff").splitlines()] == ["username", "seller"]
    text = exported(admin_client.post(EXPORT, {"usernames": "other"}, format="json"))
    assert text.lstrip("\ufeff").splitlines()[1].startswith("other,")
    assert admin_client.post(EXPORT, {"gender": "x"}, format="json").status_code == 400


def test_export_streams_in_chunks(admin_client):
    User.objects.bulk_create([User(username=f"bulk{i:04d}", name="批量", password="!") for i in range(1200)])
    response = admin_client.get(EXPORT)
    chunks = list(response.streaming_content)
    assert len(chunks) > 2
    assert b"".join(chunks).decode("utf-8").count("\r\n") == 1202  # header, admin, 1200 users


def test_export_is_admin_only(api_client, user_client):
    assert api_client.post(EXPORT).status_code == 401
    assert user_client.post(EXPORT).status_code == 403
    assert user_client.get(EXPORT).status_code == 403


# --- import --------------------------------------------------------------------------------


def test_import_creates_and_updates_and_adds_to_node(admin_client, admin_user):
    dept = create_test_group("华东区", uid="east")
    create_test_user("old", name="Old Name", email="old@corp.com")
    content = (
        "username,name,email,mobile,gender,position,unknown_column\r\n"
        "Wang.Wu,王五,WW@corp.com,188 1234 5678,男,工程师,ignored\r\n"
        "old,New Name,old@corp.com,,female,,x\r\n"
        "\r\n"
        "li,李,,+8613900000000,2,,\r\n"
    )
    response = upload(admin_client, content, node_uid="d_east")

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 1, "unchanged": 0}
    wang = User.objects.get(username="wang.wu")
    assert (wang.name, wang.email, wang.mobile, wang.gender, wang.position, wang.origin) == (
        "王五",
        "ww@corp.com",
        "+8618812345678",
        1,
        "工程师",
        Origin.IMPORT,
    )
    assert not wang.has_usable_password()
    old = User.objects.get(username="old")
    assert (old.name, old.gender) == ("New Name", 2)
    assert set(Membership.objects.filter(group=dept).values_list("user__username", flat=True)) == {
        "wang.wu",
        "old",
        "li",
    }
    summary = Event.objects.get(action=Action.USERS_IMPORTED)
    assert summary.actor == admin_user
    assert summary.detail["created"] == 2 and summary.detail["node_uid"] == "d_east"
    assert Event.objects.filter(action=Action.USER_CREATED).count() == 2
    assert Event.objects.get(action=Action.USER_UPDATED).changes == {
        "gender": [0, 2],
        "name": ["Old Name", "New Name"],
    }


def test_import_with_a_bad_row_changes_nothing(admin_client):
    create_test_user("old", name="Old", email="old@corp.com", mobile="+8613900000000")
    create_test_user("holder", email="held@corp.com")
    before = snapshot_users()
    content = (
        "username,name,email,mobile\r\n"
        "fine,Fine,fine@corp.com,\r\n"  # row 2
        "old,Renamed,old@corp.com,\r\n"  # row 3
        "-bad,Bad,nope,123\r\n"  # row 4
        "dup,Dup,fine@corp.com,\r\n"  # row 5: same email as row 2
        "thief,Thief,HELD@corp.com,13900000000\r\n"  # row 6: another user's email and mobile
        "FINE,Again,,\r\n"  # row 7: same username as row 2
        ",No username,x@corp.com,\r\n"  # row 8
    )
    response = upload(admin_client, content)

    assert response.status_code == 400
    body = response.json()
    assert body["error_count"] == 5
    rows = {item["row"]: item for item in body["rows"]}
    assert set(rows) == {4, 5, 6, 7, 8}
    assert set(rows[4]["errors"]) == {"username", "email", "mobile"}
    assert rows[5]["errors"] == {"email": ["Same as row 2."]}
    assert rows[6]["errors"] == {"email": ["Already used by user holder."], "mobile": ["Already used by user old."]}
    assert rows[7] == {"row": 7, "username": "fine", "errors": {"username": ["Same as row 2."]}}
    assert "username" in rows[8]["errors"]
    assert snapshot_users() == before
    assert not Event.objects.filter(action__in=[Action.USER_CREATED, Action.USERS_IMPORTED]).exists()


def test_import_error_count_counts_rows_not_fields(admin_client):
    response = upload(admin_client, "username,email\r\n-a,x\r\n-b,y\r\nok,\r\n")
    assert response.json()["error_count"] == 2


def test_import_accepts_bom_and_gbk(admin_client):
    response = upload(admin_client, "\ufeffusername,name\r\nbom,带BOM的名字\r\n")
    assert response.status_code == 200, response.content
    assert User.objects.get(username="bom").name == "带BOM的名字"

    response = upload(admin_client, "username,name,position\r\ngbk,赵六,销售经理\r\n", encoding="gbk")
    assert response.status_code == 200, response.content
    assert (User.objects.get(username="gbk").name, User.objects.get(username="gbk").position) == ("赵六", "销售经理")


def test_import_refuses_nul_bytes_and_utf16(admin_client):
    for payload in ("username,name\r\nnul,a\x00b\r\n", "username,name\r\nutf16,x\r\n"):
        response = upload(admin_client, payload, encoding="utf-8" if "nul" in payload else "utf-16")
        assert response.status_code == 400, response.content
        assert "users" in response.json()
    assert not User.objects.filter(username__in=["nul", "utf16"]).exists()


def test_export_then_import_round_trip(admin_client):
    create_test_user(
        "zhang",
        name="张三",
        email="zhang@corp.com",
        private_email="z@home.net",
        mobile="+8618812345678",
        gender=1,
        position="=cmd|' /C calc'!A0",
        employee_number="-7",
    )
    before = snapshot_users()
    text = exported(admin_client.get(EXPORT))

    response = upload(admin_client, text)

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert snapshot_users() == before
    assert not Event.objects.filter(action=Action.USER_UPDATED).exists()
    assert User.objects.get(username="zhang").position == "=cmd|' /C calc'!A0"


def test_import_updates_existing_user_by_username_and_blank_clears(admin_client):
    create_test_user("amy", name="Amy", email="amy@corp.com", position="PM")
    response = upload(admin_client, "username,email\r\nAMY,\r\n")
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    amy = User.objects.get(username="amy")
    assert (amy.email, amy.position, amy.name) == ("", "PM", "Amy")  # absent columns stay as they were


@pytest.mark.parametrize(
    ("content", "data", "field"),
    [
        (None, {}, "users"),
        ("name,email\r\nx,y\r\n", {}, "users"),
        ("username\r\n", {}, "users"),
        (b"username\r\n\xff\xfe\xfa\r\n", {}, "users"),
        ("username\r\nok\r\n", {"node_uid": "d_missing"}, "node_uid"),
        ("username\r\nok\r\n", {"node_uid": "root"}, "node_uid"),
    ],
)
def test_import_file_errors(admin_client, content, data, field):
    if content is None:
        response = admin_client.post(IMPORT, data, format="multipart")
    else:
        response = upload(admin_client, content, **data)
    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.filter(username="ok").exists()


def test_import_limits(admin_client, monkeypatch):
    monkeypatch.setattr(csv_io, "MAX_FILE_BYTES", 50)
    response = upload(admin_client, "username,name\r\n" + "a,b\r\n" * 20)
    assert response.status_code == 400
    assert "larger than" in response.json()["users"][0]

    monkeypatch.setattr(csv_io, "MAX_FILE_BYTES", 10_000)
    monkeypatch.setattr(csv_io, "MAX_ROWS", 3)
    response = upload(admin_client, "username\r\n" + "".join(f"u{i}\r\n" for i in range(4)))
    assert response.status_code == 400
    assert response.json() == {"users": ["At most 3 rows per file."]}
    assert not User.objects.filter(username="u0").exists()


def test_import_is_admin_only(api_client, user_client):
    assert upload(api_client, "username\r\nx\r\n").status_code == 401
    assert upload(user_client, "username\r\nx\r\n").status_code == 403
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    ("cell", "escaped"),
    [
        ("=1+1", "'=1+1"),
        ("+86", "'+86"),
        ("-x", "'-x"),
        ("@a", "'@a"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("'q", "'q"),
    ],
)
def test_escape_cell_round_trips(cell, escaped):
    assert csv_io.escape_cell(cell) == escaped
    assert csv_io.unescape_cell(escaped) == cell


def test_import_race_with_a_concurrent_write_rolls_everything_back(admin_client, monkeypatch):
    """If another request takes a checked value between validation and writing, the unique
    constraint fails the import as a whole: a clean 400, nothing half-imported."""
    create_test_user("holder", email="held@corp.com")
    monkeypatch.setattr(csv_io, "_check_existing", lambda rows: None)  # as if validated before the other write
    response = upload(admin_client, "username,email\r\nfirst,first@corp.com\r\nsecond,held@corp.com\r\n")
    assert response.status_code == 400
    assert "nothing was imported" in response.json()["users"][0]
    assert not User.objects.filter(username__in=["first", "second"]).exists()
    assert not Event.objects.filter(action=Action.USER_CREATED).exists()


def test_export_follows_the_sort_parameter(admin_client):
    create_test_user("b-user"), create_test_user("a-user")
    text = exported(admin_client.get(EXPORT + "?sort=-username"))
    assert [line.split(",")[0] for line in text.lstrip("\ufeff").splitlines()[1:]] == ["b-user", "admin", "a-user"]
