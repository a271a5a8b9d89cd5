"""A fake DingTalk over real HTTP: the endpoints ArkID calls, with DingTalk's shapes and errors.

Standalone on purpose (no Django models): ``manage.py dingtalk_emulator`` serves it, tests
start it in a thread on a free port. Control endpoints live under ``/_emulator/``:
``change`` (add/update/move/remove users and departments, pushing the matching signed and
encrypted events to the registered callback), ``callback`` (register the URL and keys),
``stats`` (calls per API), ``reset`` and ``outsider`` (a DingTalk account outside the
organisation, for QR login refusals).
"""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from apps.dingtalk import callback_crypto
from apps.dingtalk.emulator.org import Org

ERRMSG = {
    22: "Invalid method",
    33012: "无效的userId",
    40014: "不合法的access_token",
    40035: "不合法的参数",
    40078: "不存在的临时授权码",
    40089: "不合法的corpid或corpsecret",
    42001: "access_token超时",
    60003: "部门不存在",
    60004: "父部门不存在",
    60005: "部门中存在成员",
    60006: "部门中存在子部门",
    60007: "根部门不能删除",
    60010: "部门在父部门链中",
    60016: "部门ID已存在",
    60102: "UserID在公司中已存在",
    60121: "找不到该用户",
    90018: "当前企业调用该接口的频率超过限制",
    400002: "无效的参数",
}
PAGE_MAX = 100


class Emulator:
    def __init__(
        self,
        org: Org,
        *,
        app_key: str = "dingemulatorkey",
        app_secret: str = "emulator-secret",  # noqa: S107 - the emulator's well-known test secret
        corp_id: str = "dingemulatorcorp",
        rate_limit: int = 20,
        token_ttl: int = 7200,
    ):
        self.org = org
        self.app_key, self.app_secret, self.corp_id = app_key, app_secret, corp_id
        self.rate_limit = rate_limit
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}  # app token -> expiry (epoch s)
        self.user_tokens: dict[str, str] = {}  # user access token -> userid
        self.codes: dict[str, str] = {}  # authCode -> userid (single use)
        # DingTalk accounts outside this organisation: they can log in, getbyunionid says 60121.
        self.outsiders: dict[str, dict] = {}
        self.windows: dict[tuple[str, int], int] = {}
        self.calls: Counter = Counter()
        self.callback: dict | None = None
        self.lock = threading.Lock()

    # --- helpers ---------------------------------------------------------------------------------
    def issue_token(self) -> str:
        now = time.time()
        for token, expiry in self.tokens.items():
            if expiry > now:
                self.tokens[token] = now + self.token_ttl  # same token, extended
                return token
        token = secrets.token_hex(16)
        self.tokens[token] = now + self.token_ttl
        return token

    def check_token(self, token: str | None) -> int:
        expiry = self.tokens.get(token or "")
        if expiry is None:
            return 40014
        return 0 if expiry > time.time() else 42001

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = {t: 0.0 for t in self.tokens}

    def over_limit(self, api: str) -> bool:
        if self.rate_limit <= 0:
            return False
        second = int(time.time())
        with self.lock:
            key = (api, second)
            self.windows[key] = self.windows.get(key, 0) + 1
            if len(self.windows) > 10_000:
                self.windows = {k: v for k, v in self.windows.items() if k[1] >= second - 1}
            return self.windows[key] > self.rate_limit

    def push_event(self, event: dict) -> dict | None:
        """POST one event to the registered callback as DingTalk does; returns what happened."""
        if not self.callback:
            return None
        cb = self.callback
        body = json.dumps({"CorpId": self.corp_id, "TimeStamp": str(int(time.time() * 1000)), **event})
        ciphertext = callback_crypto.encrypt(cb["aes_key"], self.app_key, body)
        timestamp, nonce = str(int(time.time() * 1000)), secrets.token_hex(4)
        query = urllib.parse.urlencode(
            {
                "msg_signature": callback_crypto.signature(cb["token"], timestamp, nonce, ciphertext),
                "timestamp": timestamp,
                "nonce": nonce,
            }
        )
        sep = "&" if "?" in cb["url"] else "?"
        request = urllib.request.Request(  # noqa: S310 - the URL the tester registered
            f"{cb['url']}{sep}{query}",
            data=json.dumps({"encrypt": ciphertext}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                reply = json.loads(response.read() or b"{}")
                status = response.status
        except Exception as exc:  # noqa: BLE001 - reported back to the caller of /_emulator/change
            return {"ok": False, "error": str(exc)}
        try:
            callback_crypto.verify(
                cb["token"], reply["timeStamp"], reply["nonce"], reply["encrypt"], reply["msg_signature"]
            )
            ok = callback_crypto.decrypt(cb["aes_key"], self.app_key, reply["encrypt"]) == "success"
        except (KeyError, callback_crypto.CallbackCryptoError):
            ok = False
        return {"ok": ok, "status": status}


def _oapi_error(errcode: int, **extra) -> dict:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error"), "request_id": secrets.token_hex(6), **extra}


def _ok(result=None, **extra) -> dict:
    body = {"errcode": 0, "errmsg": "ok", "request_id": secrets.token_hex(6), **extra}
    if result is not None:
        body["result"] = result
    return body


def _dept_view(dept: dict) -> dict:
    return {
        "dept_id": dept["dept_id"],
        "name": dept["name"],
        "parent_id": dept["parent_id"],
        "order": dept["order"],
        "create_dept_group": False,
        "auto_add_user": False,
    }


def _user_view(user: dict) -> dict:
    view = {k: v for k, v in user.items() if v not in ("", None) or k in ("name", "userid")}
    view["dept_order_list"] = [{"dept_id": d, "order": 0} for d in user["dept_id_list"]]
    return view


class Handler(BaseHTTPRequestHandler):
    server_version = "DingTalkEmulator/1.0"
    protocol_version = "HTTP/1.1"  # keep-alive, as DingTalk's gateways do
    # One buffered write per response (flushed by handle_one_request) and no Nagle: headers
    # and body in separate small writes would wait ~40 ms for the client's delayed ACK.
    wbufsize = -1
    disable_nagle_algorithm = True
    emulator: Emulator  # set on the subclass made by make_server

    def log_message(self, format, *args):  # noqa: A002 - quiet by default
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)

    # --- plumbing --------------------------------------------------------------------------------
    def _send(self, status: int, body, content_type: str = "application/json; charset=utf-8") -> None:
        raw = body.encode() if isinstance(body, str) else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        if "json" in (self.headers.get("Content-Type") or ""):
            try:
                data = json.loads(raw)
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        return {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        body = self._body() if method == "POST" else {}
        em = self.emulator
        path = url.path
        if path.startswith("/_emulator/"):
            return self._control(path, body)
        em.calls[path] += 1
        if path == "/gettoken":
            if query.get("appkey") != em.app_key or query.get("appsecret") != em.app_secret:
                return self._send(200, _oapi_error(40089))
            return self._send(200, _ok(access_token=em.issue_token(), expires_in=em.token_ttl))
        if path.startswith("/v1.0/"):
            return self._v1(method, path, body)
        if path == "/oauth2/auth":
            return self._login_page(query)
        if path.startswith("/topapi/"):
            if method != "POST":
                return self._send(200, _oapi_error(43002))
            code = em.check_token(query.get("access_token"))
            if code:
                return self._send(200, _oapi_error(code))
            if em.over_limit(path):
                return self._send(200, _oapi_error(90018))
            handler = TOPAPI.get(path)
            if handler is None:
                return self._send(200, _oapi_error(22))
            with em.org.lock:
                try:
                    return self._send(200, handler(em, body))
                except KeyError as exc:
                    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 400002
                    return self._send(200, _oapi_error(code))
                except (TypeError, ValueError):
                    return self._send(200, _oapi_error(40035))
        return self._send(404, {"code": "NotFound", "message": "not found", "requestid": secrets.token_hex(6)})

    # --- api v1.0 --------------------------------------------------------------------------------
    def _v1_error(self, status: int, code: str, message: str) -> None:
        self._send(status, {"code": code, "message": message, "requestid": secrets.token_hex(8)})

    def _v1(self, method: str, path: str, body: dict) -> None:
        em = self.emulator
        if path == "/v1.0/oauth2/accessToken":
            if body.get("appKey") != em.app_key or body.get("appSecret") != em.app_secret:
                return self._v1_error(400, "InvalidParameter.AppKeyOrSecret", "appKey或appSecret错误")
            return self._send(200, {"accessToken": em.issue_token(), "expireIn": em.token_ttl})
        if path == "/v1.0/oauth2/userAccessToken":
            if body.get("clientId") != em.app_key or body.get("clientSecret") != em.app_secret:
                return self._v1_error(400, "InvalidClient", "clientId或clientSecret错误")
            userid = em.codes.pop(str(body.get("code") or ""), None)
            if userid is None:
                return self._v1_error(400, "InvalidAuthCode", "不合法的临时授权码")
            token = secrets.token_hex(16)
            em.user_tokens[token] = userid
            return self._send(
                200,
                {"accessToken": token, "refreshToken": secrets.token_hex(16), "expireIn": 7200, "corpId": em.corp_id},
            )
        token = self.headers.get("x-acs-dingtalk-access-token")
        if em.over_limit(path):
            return self._v1_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "应用调用该接口的QPS超出限制")
        if path == "/v1.0/contact/users/me":
            userid = em.user_tokens.get(token or "", "")
            user = em.org.users.get(userid) or em.outsiders.get(userid)
            if user is None:
                return self._v1_error(400, "InvalidAuthentication", "不合法的access_token")
            return self._send(
                200,
                {
                    "nick": user["name"],
                    "unionId": user["unionid"],
                    "openId": "op" + user["unionid"][:20],
                    "mobile": user["mobile"],
                    "stateCode": "86",
                    **({"email": user["email"]} if user["email"] else {}),
                },
            )
        if em.check_token(token):
            return self._v1_error(400, "InvalidAuthentication", "不合法的access_token")
        return self._v1_error(404, "NotFound", "api not found")

    # --- login page ------------------------------------------------------------------------------
    def _login_page(self, query: dict) -> None:
        em = self.emulator
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != em.app_key or query.get("response_type") != "code" or not redirect_uri:
            return self._send(400, "<h1>参数错误 invalid request</h1>", "text/html; charset=utf-8")
        if "userid" in query and (query["userid"] in em.org.users or query["userid"] in em.outsiders):
            code = secrets.token_hex(12)
            em.codes[code] = query["userid"]
            target = redirect_uri + ("&" if "?" in redirect_uri else "?")
            target += urllib.parse.urlencode({"authCode": code, "state": query.get("state", "")})
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        rows = []
        for user in [*list(em.org.users.values())[:200], *em.outsiders.values()]:
            link = "/oauth2/auth?" + urllib.parse.urlencode({**query, "userid": user["userid"]})
            label = html.escape(f"{user['name']} ({user['userid']})")
            rows.append(f'<li><a href="{html.escape(link)}">{label}</a></li>')
        page = "<!doctype html><meta charset=utf-8><title>钉钉登录 (emulator)</title><h1>选择员工 Pick an employee</h1>"
        return self._send(200, page + "<ul>" + "".join(rows) + "</ul>", "text/html; charset=utf-8")

    # --- control ---------------------------------------------------------------------------------
    def _control(self, path: str, body: dict) -> None:
        em = self.emulator
        if path == "/_emulator/stats":
            return self._send(200, {"calls": dict(em.calls), "total": sum(em.calls.values())})
        if path == "/_emulator/reset":
            em.calls.clear()
            return self._send(200, {"ok": True})
        if path == "/_emulator/expire_tokens":
            em.expire_tokens()
            return self._send(200, {"ok": True})
        if path == "/_emulator/config":
            if "rate_limit" in body:
                em.rate_limit = int(body["rate_limit"])
            return self._send(
                200, {"rate_limit": em.rate_limit, "users": len(em.org.users), "depts": len(em.org.depts)}
            )
        if path == "/_emulator/outsider":
            user = {"mobile": "", "email": "", **body}
            user.setdefault("unionid", secrets.token_urlsafe(24))
            em.outsiders[str(body["userid"])] = user
            return self._send(200, {"ok": True, "user": user})
        if path == "/_emulator/callback":
            em.callback = {"url": body["url"], "token": body["token"], "aes_key": body["aes_key"]} if body else None
            return self._send(200, {"ok": True})
        if path == "/_emulator/change":
            with em.org.lock:
                try:
                    event = apply_change(em.org, body)
                except KeyError as exc:
                    return self._send(400, _oapi_error(exc.args[0] if exc.args else 400002))
            return self._send(200, {"ok": True, "event": event, "callback": em.push_event(event)})
        return self._send(404, {"code": "NotFound", "message": "not found"})


def apply_change(org: Org, change: dict) -> dict:
    """One data change; returns the DingTalk event it causes."""
    op = change.get("op")
    if op == "add_user":
        user = org.add_user(change["user"])
        return {"EventType": "user_add_org", "UserId": [user["userid"]]}
    if op in ("update_user", "move_user"):
        user = org.update_user(change["userid"], change.get("fields") or {"dept_id_list": change.get("dept_id_list")})
        return {"EventType": "user_modify_org", "UserId": [user["userid"]]}
    if op == "remove_user":
        org.remove_user(change["userid"])
        return {"EventType": "user_leave_org", "UserId": [change["userid"]]}
    if op == "add_dept":
        dept = org.add_dept(change["name"], int(change.get("parent_id", 1)), dept_id=change.get("dept_id"))
        return {"EventType": "org_dept_create", "DeptId": [dept["dept_id"]]}
    if op in ("update_dept", "move_dept"):
        fields = {k: change[k] for k in ("name", "parent_id", "order") if k in change}
        dept = org.update_dept(int(change["dept_id"]), **fields)
        return {"EventType": "org_dept_modify", "DeptId": [dept["dept_id"]]}
    if op == "remove_dept":
        org.remove_dept(int(change["dept_id"]))
        return {"EventType": "org_dept_remove", "DeptId": [int(change["dept_id"])]}
    raise KeyError(400002)


# --- topapi handlers (org lock held) ------------------------------------------------------------
def _dept_id(body: dict, default: int | None = None) -> int:
    value = body.get("dept_id", default)
    if value is None:
        raise KeyError(400002)
    return int(value)


def _listsub(em: Emulator, body: dict) -> dict:
    dept_id = _dept_id(body, 1)
    if dept_id not in em.org.depts:
        raise KeyError(60003)
    return _ok([_dept_view(d) for d in em.org.children(dept_id)])


def _listsubid(em: Emulator, body: dict) -> dict:
    dept_id = _dept_id(body)
    if dept_id not in em.org.depts:
        raise KeyError(60003)
    return _ok({"dept_id_list": [d["dept_id"] for d in em.org.children(dept_id)]})


def _dept_get(em: Emulator, body: dict) -> dict:
    dept = em.org.depts.get(_dept_id(body))
    if dept is None:
        raise KeyError(60003)
    return _ok(_dept_view(dept))


def _page(body: dict) -> tuple[int, int]:
    cursor, size = int(body.get("cursor", -1)), int(body.get("size", 0))
    if cursor < 0 or not 1 <= size <= PAGE_MAX:
        raise KeyError(40035)
    return cursor, size


def _user_list(em: Emulator, body: dict, view=_user_view) -> dict:
    dept_id = _dept_id(body)
    if dept_id not in em.org.depts:
        raise KeyError(60003)
    cursor, size = _page(body)
    members = em.org.members(dept_id)
    page = members[cursor : cursor + size]
    has_more = cursor + size < len(members)
    result = {"has_more": has_more, "list": [view(u) for u in page]}
    if has_more:
        result["next_cursor"] = cursor + size
    return _ok(result)


def _user_listsimple(em: Emulator, body: dict) -> dict:
    return _user_list(em, body, view=lambda u: {"userid": u["userid"], "name": u["name"]})


def _user_listid(em: Emulator, body: dict) -> dict:
    dept_id = _dept_id(body)
    if dept_id not in em.org.depts:
        raise KeyError(60003)
    return _ok({"userid_list": [u["userid"] for u in em.org.members(dept_id)]})


def _user_get(em: Emulator, body: dict) -> dict:
    user = em.org.users.get(str(body.get("userid") or ""))
    if user is None:
        raise KeyError(60121)
    return _ok(_user_view(user))


def _user_count(em: Emulator, body: dict) -> dict:
    only_active = bool(body.get("only_active"))
    return _ok({"count": sum(1 for u in em.org.users.values() if u["active"] or not only_active)})


def _getbyunionid(em: Emulator, body: dict) -> dict:
    user = em.org.find_unionid(str(body.get("unionid") or ""))
    if user is None:
        raise KeyError(60121)
    return _ok({"contact_type": 0, "userid": user["userid"]})


def _ids(value) -> list[int]:
    if isinstance(value, str):
        return [int(v) for v in value.split(",") if v.strip()]
    return [int(v) for v in value or []]


def _user_create(em: Emulator, body: dict) -> dict:
    if not body.get("name"):
        raise KeyError(400002)
    user = em.org.add_user({**body, "dept_id_list": _ids(body.get("dept_id_list")) or [1]})
    return _ok({"userid": user["userid"]})


def _user_update(em: Emulator, body: dict) -> dict:
    fields = {k: v for k, v in body.items() if k not in ("userid", "language")}
    if "dept_id_list" in fields:
        fields["dept_id_list"] = _ids(fields["dept_id_list"])
    em.org.update_user(str(body.get("userid") or ""), fields)
    return _ok()


def _user_delete(em: Emulator, body: dict) -> dict:
    em.org.remove_user(str(body.get("userid") or ""))
    return _ok()


def _dept_create(em: Emulator, body: dict) -> dict:
    if not body.get("name") or body.get("parent_id") is None:
        raise KeyError(400002)
    dept = em.org.add_dept(str(body["name"]), int(body["parent_id"]), order=body.get("order"))
    return _ok({"dept_id": dept["dept_id"]})


def _dept_update(em: Emulator, body: dict) -> dict:
    fields = {k: body[k] for k in ("name", "order") if k in body}
    if "parent_id" in body:
        fields["parent_id"] = int(body["parent_id"])
    em.org.update_dept(_dept_id(body), **fields)
    return _ok()


def _dept_delete(em: Emulator, body: dict) -> dict:
    em.org.remove_dept(_dept_id(body))
    return _ok()


def _getuserinfo(em: Emulator, body: dict) -> dict:
    userid = em.codes.pop(str(body.get("code") or ""), None)
    user = em.org.users.get(userid or "")
    if user is None:
        raise KeyError(40078)
    return _ok(
        {"userid": user["userid"], "unionid": user["unionid"], "name": user["name"], "sys": False, "sys_level": 0}
    )


TOPAPI = {
    "/topapi/v2/department/listsub": _listsub,
    "/topapi/v2/department/listsubid": _listsubid,
    "/topapi/v2/department/get": _dept_get,
    "/topapi/v2/department/create": _dept_create,
    "/topapi/v2/department/update": _dept_update,
    "/topapi/v2/department/delete": _dept_delete,
    "/topapi/v2/user/list": _user_list,
    "/topapi/user/listsimple": _user_listsimple,
    "/topapi/user/listid": _user_listid,
    "/topapi/v2/user/get": _user_get,
    "/topapi/user/count": _user_count,
    "/topapi/user/getbyunionid": _getbyunionid,
    "/topapi/v2/user/create": _user_create,
    "/topapi/v2/user/update": _user_update,
    "/topapi/v2/user/delete": _user_delete,
    "/topapi/v2/user/getuserinfo": _getuserinfo,
}


def make_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"emulator": emulator})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def start_in_thread(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Serve on a free port in a daemon thread; returns the server and its base URL."""
    server = make_server(emulator, host, port)
    threading.Thread(target=server.serve_forever, daemon=True, name="dingtalk-emulator").start()
    return server, f"http://{host}:{server.server_address[1]}"
