"""Reading the organisation from DingTalk, entirely in memory, before anything is applied.

Full fetch: departments breadth-first from the root with ``v2/department/listsub`` (one
call per department), then each department's direct members with ``v2/user/list`` (pages
of 100, following ``next_cursor`` to the end). A user listed in several departments is kept
once, with the union of those departments. That is the minimum number of calls DingTalk
allows for a complete picture: departments + user pages (+ the root's detail and a token).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from apps.dingtalk.client import DingTalkClient
from apps.dingtalk.errors import DingTalkError

ROOT = 1
PAGE_SIZE = 100
USER_GONE = {60121, 33012, 60111}
DEPT_GONE = {60003}


@dataclass
class Snapshot:
    depts: dict[int, dict] = field(default_factory=dict)  # dept_id -> {dept_id, name, parent_id, order}
    users: dict[str, dict] = field(default_factory=dict)  # userid -> v2/user/list record
    complete: bool = False  # a full fetch: what is absent is gone
    gone_users: set[str] = field(default_factory=set)  # incremental: confirmed removed
    gone_depts: set[int] = field(default_factory=set)
    pages: int = 0  # user pages fetched (for the minimum-calls figure)


def _dept(record: dict) -> dict:
    return {
        "dept_id": int(record["dept_id"]),
        "name": str(record.get("name") or record["dept_id"]),
        "parent_id": int(record.get("parent_id") or 0),
        "order": int(record.get("order") or 0),
    }


# (phase, done, total): told when the fetch moves on, for the run's progress display.
Progress = Callable[[str, int, int], None]


def _silent(phase: str, done: int, total: int) -> None:
    return None


def fetch_all(client: DingTalkClient, on_progress: Progress = _silent) -> Snapshot:
    snap = Snapshot()
    on_progress("departments", 0, 0)
    root = client.oapi("topapi/v2/department/get", {"dept_id": ROOT})["result"]
    snap.depts[ROOT] = {**_dept(root), "parent_id": 0}
    queue = deque([ROOT])
    while queue:
        parent = queue.popleft()
        for child in client.oapi("topapi/v2/department/listsub", {"dept_id": parent})["result"] or []:
            dept = _dept(child)
            if dept["dept_id"] not in snap.depts:  # defensive: a cycle must not loop forever
                snap.depts[dept["dept_id"]] = dept
                queue.append(dept["dept_id"])
    total = len(snap.depts)
    for done, dept_id in enumerate(snap.depts):
        on_progress("members", done, total)
        _fetch_members(client, dept_id, snap)
    on_progress("members", total, total)
    snap.complete = True
    return snap


def _fetch_members(client: DingTalkClient, dept_id: int, snap: Snapshot) -> None:
    cursor = 0
    while True:
        body = {"dept_id": dept_id, "cursor": cursor, "size": PAGE_SIZE, "contain_access_limit": True}
        result = client.oapi("topapi/v2/user/list", body)["result"]
        snap.pages += 1
        for record in result.get("list") or []:
            _add_user(snap, record, seen_in=dept_id)
        if not result.get("has_more"):
            return
        cursor = result["next_cursor"]


def _add_user(snap: Snapshot, record: dict, *, seen_in: int | None = None) -> None:
    userid = str(record["userid"])
    depts = {int(d) for d in record.get("dept_id_list") or []}
    if seen_in is not None:
        depts.add(seen_in)
    known = snap.users.get(userid)
    if known is not None:
        depts |= set(known["dept_id_list"])
    snap.users[userid] = {**record, "userid": userid, "dept_id_list": sorted(depts)}


def fetch_some(client: DingTalkClient, *, userids=(), dept_ids=()) -> Snapshot:
    """What change events name: ``v2/user/get`` / ``v2/department/get`` per id; a "not
    found" answer means the object left DingTalk."""
    snap = Snapshot()
    for dept_id in sorted({int(d) for d in dept_ids}):
        try:
            snap.depts[dept_id] = _dept(client.oapi("topapi/v2/department/get", {"dept_id": dept_id})["result"])
        except DingTalkError as exc:
            if exc.errcode not in DEPT_GONE:
                raise
            snap.gone_depts.add(dept_id)
    for userid in sorted({str(u) for u in userids}):
        try:
            _add_user(snap, client.oapi("topapi/v2/user/get", {"userid": userid})["result"])
        except DingTalkError as exc:
            if exc.errcode not in USER_GONE:
                raise
            snap.gone_users.add(userid)
    return snap
