"""The emulator's organisation: departments and users as DingTalk returns them, plus a
generator of realistic ones (nested departments, Chinese names, users in several
departments, departments of more than 100 users, users without an email)."""

from __future__ import annotations

import random
import secrets
import threading

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建文辉鹏飞宇浩然子涵梓萱一诺欣怡俊杰思远"
DEPT_NAMES = [
    "研发中心",
    "产品部",
    "市场部",
    "销售部",
    "财务部",
    "人力资源部",
    "行政部",
    "法务部",
    "客服中心",
    "运营部",
    "测试组",
    "前端组",
    "后端组",
    "数据平台",
    "安全组",
    "华东区",
    "华南区",
    "华北区",
    "西南区",
    "采购部",
]
USER_FIELDS = (
    "userid", "unionid", "name", "avatar", "state_code", "mobile", "hide_mobile", "telephone", "job_number",
    "title", "email", "org_email", "work_place", "remark", "dept_id_list", "extension", "hired_date", "active",
    "admin", "boss", "leader", "exclusive_account", "manager_userid",
)  # fmt: skip


class Org:
    """Thread-safe enough for a test server: one lock around every read and write."""

    def __init__(self, corp_name: str = "示例科技有限公司"):
        self.lock = threading.RLock()
        self.depts: dict[int, dict] = {1: {"dept_id": 1, "name": corp_name, "parent_id": 0, "order": 0}}
        self.users: dict[str, dict] = {}
        self.next_dept_id = 100

    # --- reads -----------------------------------------------------------------------------------
    def children(self, dept_id: int) -> list[dict]:
        return sorted(
            (d for d in self.depts.values() if d["parent_id"] == dept_id and d["dept_id"] != 1),
            key=lambda d: (d["order"], d["dept_id"]),
        )

    def members(self, dept_id: int) -> list[dict]:
        return [u for u in self.users.values() if dept_id in u["dept_id_list"]]

    def find_unionid(self, unionid: str) -> dict | None:
        return next((u for u in self.users.values() if u["unionid"] == unionid), None)

    # --- writes ----------------------------------------------------------------------------------
    def add_dept(self, name: str, parent_id: int, *, dept_id: int | None = None, order: int | None = None) -> dict:
        if parent_id not in self.depts:
            raise KeyError(60004)
        if dept_id is None:
            dept_id = self.next_dept_id
        if dept_id in self.depts:
            raise KeyError(60016)
        self.next_dept_id = max(self.next_dept_id, dept_id + 1)
        dept = {"dept_id": dept_id, "name": name, "parent_id": parent_id, "order": order or len(self.depts)}
        self.depts[dept_id] = dept
        return dept

    def update_dept(self, dept_id: int, **fields) -> dict:
        dept = self.depts.get(dept_id)
        if dept is None:
            raise KeyError(60003)
        if "parent_id" in fields:
            parent = fields["parent_id"]
            if parent not in self.depts or dept_id == 1:
                raise KeyError(60004)
            walk = parent
            while walk:
                if walk == dept_id:
                    raise KeyError(60010)
                walk = self.depts[walk]["parent_id"]
        dept.update({k: v for k, v in fields.items() if k in ("name", "parent_id", "order")})
        return dept

    def remove_dept(self, dept_id: int) -> None:
        if dept_id == 1:
            raise KeyError(60007)
        if dept_id not in self.depts:
            raise KeyError(60003)
        if self.children(dept_id):
            raise KeyError(60006)
        if self.members(dept_id):
            raise KeyError(60005)
        del self.depts[dept_id]

    def add_user(self, fields: dict) -> dict:
        userid = fields.get("userid") or f"u{secrets.token_hex(6)}"
        if userid in self.users:
            raise KeyError(60102)
        depts = [int(d) for d in (fields.get("dept_id_list") or [1])]
        if any(d not in self.depts for d in depts):
            raise KeyError(60003)
        user = {
            "userid": userid,
            "unionid": fields.get("unionid") or secrets.token_urlsafe(24),
            "name": fields.get("name", userid),
            "state_code": "86",
            "mobile": fields.get("mobile", ""),
            "hide_mobile": False,
            "telephone": "",
            "job_number": fields.get("job_number", ""),
            "title": fields.get("title", ""),
            "email": fields.get("email", ""),
            "org_email": fields.get("org_email", ""),
            "work_place": fields.get("work_place", ""),
            "remark": fields.get("remark", ""),
            "dept_id_list": depts,
            "extension": "",
            "hired_date": fields.get("hired_date", 1597573616828),
            "active": fields.get("active", True),
            "admin": False,
            "boss": False,
            "leader": False,
            "exclusive_account": False,
            "avatar": fields.get("avatar", ""),
        }
        self.users[userid] = user
        return user

    def update_user(self, userid: str, fields: dict) -> dict:
        user = self.users.get(userid)
        if user is None:
            raise KeyError(60121)
        if "dept_id_list" in fields:
            depts = [int(d) for d in fields["dept_id_list"]]
            if not depts or any(d not in self.depts for d in depts):
                raise KeyError(60003)
            fields = {**fields, "dept_id_list": depts}
        user.update({k: v for k, v in fields.items() if k in USER_FIELDS and k not in ("userid", "unionid")})
        return user

    def remove_user(self, userid: str) -> None:
        if self.users.pop(userid, None) is None:
            raise KeyError(33012)


def generate(users: int = 50, depts: int = 10, seed: int = 1) -> Org:
    """A deterministic organisation for ``seed``; ``depts`` excludes the root."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    org = Org()
    ids = [1]
    for i in range(depts):
        # Prefer recent departments as parents: gives trees several levels deep.
        parent = rng.choice(ids[-8:]) if ids[1:] and rng.random() < 0.6 else rng.choice(ids)
        name = DEPT_NAMES[i % len(DEPT_NAMES)] + ("" if i < len(DEPT_NAMES) else str(i // len(DEPT_NAMES)))
        ids.append(org.add_dept(name, parent, dept_id=100 + i, order=i)["dept_id"])
    leaves = ids[1:] or [1]
    big = leaves[0]  # one department holds > 100 users when there are enough
    used_mobiles: set[str] = set()
    for i in range(users):
        home = big if i < min(150, users // 3) else rng.choice(leaves)
        dept_list = [home]
        if rng.random() < 0.15 and len(leaves) > 1:
            dept_list.extend(rng.sample([d for d in leaves if d != home], k=min(2, len(leaves) - 1)))
        while True:
            mobile = f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
            if mobile not in used_mobiles:
                used_mobiles.add(mobile)
                break
        userid = f"ding{seed:02d}{i:06d}"
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        org.add_user(
            {
                "userid": userid,
                "unionid": f"un{rng.getrandbits(96):024x}",
                "name": name,
                "mobile": mobile,
                "email": "" if rng.random() < 0.2 else f"{userid}@example.com",
                "job_number": str(10_000 + i),
                "title": rng.choice(["工程师", "经理", "专员", "总监", ""]),
                "dept_id_list": dept_list,
                "active": rng.random() > 0.05,
            }
        )
    return org
