"""REST and Tooling API: versions, resources, describeGlobal, identity, and SOQL over a few objects.

Why: sfhotfix finds what changed in a sandbox with a Tooling API query on SourceMember (``WHERE
RevisionCounter > N``), as the recorded CumulusCI cassette shows, and may check the org with a REST query.
A small SOQL reader (SELECT fields FROM object [WHERE a op b AND …] [ORDER BY f [ASC|DESC]] [LIMIT n],
relationship fields such as ``ChangedBy.Name``) answers over SourceMember, Organization and User, with
Salesforce's JSON errors (INVALID_FIELD, INVALID_TYPE, MALFORMED_QUERY) when it cannot.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from .ids import ORG_ID
from .org import User
from .state import State


class RestError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message

    def body(self) -> bytes:
        return json.dumps([{"message": self.message, "errorCode": self.code}]).encode()


def rest_date(iso_z: str) -> str:
    """REST writes dateTimes as ``2024-01-01T00:00:00.000+0000``."""
    return iso_z[:-1] + "+0000" if iso_z.endswith("Z") else iso_z


def release_label(version: int) -> str:
    """Salesforce's release name of an API version (60.0 = Spring '24, three releases a year)."""
    offset = version - 60
    season = ("Spring", "Summer", "Winter")[offset % 3]
    year = 24 + offset // 3 + (1 if season == "Winter" else 0)
    return f"{season} '{year:02d}"


def versions(state: State) -> list[dict]:
    top = int(float(state.api_version))
    return [
        {"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"} for v in range(20, top + 1)
    ]


def resources(version: str) -> dict:
    base = f"/services/data/v{version}"
    return {name: f"{base}/{name}" for name in ("tooling", "metadata", "query", "queryAll", "sobjects", "limits")}


def describe_global(state: State, version: str) -> dict:
    names = {"Account": ("Account", False, "001"), "Contact": ("Contact", False, "003"), "User": ("User", False, "005")}
    for comp in state.org.of_type("CustomObject"):
        if comp.full_name.endswith("__c"):
            names[comp.full_name] = (comp.full_name[:-3].replace("_", " "), True, "a00")
    rows = []
    for name, (label, custom, prefix) in sorted(names.items()):
        rows.append(
            {
                "custom": custom, "keyPrefix": prefix, "label": label, "labelPlural": label + "s", "name": name,
                "queryable": True, "urls": {"sobject": f"/services/data/v{version}/sobjects/{name}",
                                              "describe": f"/services/data/v{version}/sobjects/{name}/describe"},
            }
        )
    return {"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": rows}


def identity(state: State, user: User) -> dict:
    return {
        "id": f"{state.url}/id/{ORG_ID}/{user.id}", "asserted_user": True, "user_id": user.id,
        "organization_id": ORG_ID, "username": user.username, "nick_name": user.username.split("@")[0],
        "display_name": user.name, "email": user.email, "active": True, "user_type": "STANDARD",
        "language": "en_US", "locale": "en_US", "utcOffset": -28800000,
        "urls": {"rest": f"{state.url}/services/data/v{{version}}/",
                 "metadata": f"{state.url}/services/Soap/m/{{version}}/{ORG_ID[:15]}"},
        "is_app_installed": True,
    }


# ---- SOQL --------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<dt>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d))"
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))"
)

TABLES = {
    "sourcemember": ("SourceMember", True),
    "organization": ("Organization", False),
    "user": ("User", False),
}
REFERENCES = {"ChangedBy": "User", "CreatedBy": "User", "LastModifiedBy": "User"}


def _tokens(query: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    query = query.strip()
    while pos < len(query):
        match = _TOKEN.match(query, pos)
        if not match or match.end() == pos:
            raise RestError(400, "MALFORMED_QUERY", f"unexpected token: '{query[pos:pos + 20].strip()}'")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(query) and query[pos].isspace():
            pos += 1
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "str":
        return text[1:-1].replace("\\'", "'")
    if kind == "num":
        return float(text) if "." in text else int(text)
    if kind == "dt":
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    raise RestError(400, "MALFORMED_QUERY", f"unexpected token: '{text}'")


def _compare(value: Any, op: str, literal: Any) -> bool:
    if isinstance(literal, _dt.datetime) and isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("+0000", "+00:00"))
    if op == "=":
        return value == literal
    if op in ("!=", "<>"):
        return value != literal
    if value is None or literal is None:
        return False
    try:
        return {"<": value < literal, ">": value > literal, "<=": value <= literal, ">=": value >= literal}[op]
    except TypeError:
        return False


def _records(state: State, table: str, version: str) -> list[dict]:
    if table == "SourceMember":
        rows = []
        for member in state.org.source_members():
            rows.append(
                {
                    "Id": member.id, "MemberType": member.member_type, "MemberName": member.member_name,
                    "MemberIdOrName": member.member_name, "RevisionCounter": member.revision,
                    "RevisionNum": member.revision, "IsNameObsolete": member.obsolete, "IsNewMember": member.is_new,
                    "ChangedBy": member.changed_by, "CreatedById": member.changed_by,
                    "LastModifiedById": member.changed_by, "CreatedDate": rest_date(member.last_modified),
                    "LastModifiedDate": rest_date(member.last_modified), "IsDeleted": False,
                }
            )
        return rows
    if table == "Organization":
        return [{"Id": ORG_ID, "Name": "sfhotfix Emulator Org", "IsSandbox": True, "OrganizationType": "Developer Edition",
                 "InstanceName": "EMU1", "NamespacePrefix": None}]
    return [{"Id": u.id, "Name": u.name, "Username": u.username, "Email": u.email, "IsActive": True} for u in state.users.values()]


def _user_record(state: State, user_id: str, version: str) -> dict | None:
    for user in state.users.values():
        if user.id == user_id:
            return {"Id": user.id, "Name": user.name, "Username": user.username, "Email": user.email, "IsActive": True}
    return None


def soql(state: State, query: str, version: str, tooling: bool) -> dict:
    tokens = _tokens(query)
    words = [t[1].lower() if t[0] == "word" else None for t in tokens]
    if not tokens or words[0] != "select" or "from" not in words:
        raise RestError(400, "MALFORMED_QUERY", "unexpected token: query must be SELECT ... FROM ...")
    from_at = words.index("from")
    fields = [t[1] for t in tokens[1:from_at] if t[0] == "word"]
    if not fields:
        raise RestError(400, "MALFORMED_QUERY", "no fields selected")
    if from_at + 1 >= len(tokens):
        raise RestError(400, "MALFORMED_QUERY", "unexpected token: <EOF>")
    object_name = tokens[from_at + 1][1]
    known = TABLES.get(object_name.lower())
    if known is None or known[1] != tooling or (known[0] == "SourceMember" and not state.source_tracking):
        raise RestError(400, "INVALID_TYPE", f"sObject type '{object_name}' is not supported.")
    table = known[0]
    rows = _records(state, table, version)
    columns = {k.lower(): k for k in (rows[0] if rows else _records_template(table))}

    def column(name: str) -> str:
        if name.lower() not in columns:
            raise RestError(400, "INVALID_FIELD", f"No such column '{name}' on entity '{table}'.")
        return columns[name.lower()]

    pos = from_at + 2
    conditions, order, limit = [], None, None
    while pos < len(tokens):
        word = words[pos]
        if word in ("where", "and"):
            name = tokens[pos + 1][1] if pos + 1 < len(tokens) else ""
            if pos + 2 < len(tokens) and words[pos + 2] == "in":
                values, pos = [], pos + 4
                while pos < len(tokens) and tokens[pos][1] != ")":
                    if tokens[pos][1] != ",":
                        values.append(_literal(*tokens[pos]))
                    pos += 1
                conditions.append((column(name), "in", values))
                pos += 1
                continue
            if pos + 3 >= len(tokens) or tokens[pos + 2][0] != "op":
                raise RestError(400, "MALFORMED_QUERY", "unexpected token in WHERE clause")
            conditions.append((column(name), tokens[pos + 2][1], _literal(*tokens[pos + 3])))
            pos += 4
        elif word == "order" and pos + 2 < len(tokens) and words[pos + 1] == "by":
            order = (column(tokens[pos + 2][1]), False)
            pos += 3
            if pos < len(tokens) and words[pos] in ("asc", "desc"):
                order = (order[0], words[pos] == "desc")
                pos += 1
        elif word == "limit" and pos + 1 < len(tokens) and tokens[pos + 1][0] == "num":
            limit = int(tokens[pos + 1][1])
            pos += 2
        else:
            raise RestError(400, "MALFORMED_QUERY", f"unexpected token: '{tokens[pos][1]}'")
    for name, op, literal in conditions:
        if op == "in":
            rows = [r for r in rows if r[name] in literal]
        else:
            rows = [r for r in rows if _compare(r[name], op, literal)]
    if order:
        rows.sort(key=lambda r: (r[order[0]] is None, r[order[0]]), reverse=order[1])
    if limit is not None:
        rows = rows[:limit]

    base = f"/services/data/v{version}/{'tooling/' if tooling else ''}sobjects"
    records = []
    for row in rows:
        record: dict[str, Any] = {"attributes": {"type": table, "url": f"{base}/{table}/{row['Id']}"}}
        for field in fields:
            if "." in field:
                ref, sub = field.split(".", 1)
                target = REFERENCES.get(next((k for k in REFERENCES if k.lower() == ref.lower()), ""), None)
                if target is None or ref.lower() not in columns:
                    raise RestError(400, "INVALID_FIELD", f"Didn't understand relationship '{ref}' in field path.")
                ref_name = columns[ref.lower()]
                related = _user_record(state, row[ref_name], version)
                if related is None:
                    record[ref_name] = None
                    continue
                entry = record.setdefault(
                    ref_name, {"attributes": {"type": target, "url": f"/services/data/v{version}/sobjects/{target}/{related['Id']}"}}
                )
                sub_key = next((k for k in related if k.lower() == sub.lower()), None)
                if sub_key is None:
                    raise RestError(400, "INVALID_FIELD", f"No such column '{sub}' on entity '{target}'.")
                entry[sub_key] = related[sub_key]
            else:
                record[column(field)] = row[column(field)]
        records.append(record)
    if tooling:
        return {"size": len(records), "totalSize": len(records), "done": True, "queryLocator": None,
                "entityTypeName": table, "records": records}
    return {"totalSize": len(records), "done": True, "records": records}


def _records_template(table: str) -> dict:
    if table == "SourceMember":
        return dict.fromkeys(
            ["Id", "MemberType", "MemberName", "MemberIdOrName", "RevisionCounter", "RevisionNum", "IsNameObsolete",
             "IsNewMember", "ChangedBy", "CreatedById", "LastModifiedById", "CreatedDate", "LastModifiedDate", "IsDeleted"]
        )
    return {"Id": None, "Name": None}


def dump(data: Any, pretty: bool) -> bytes:
    """Salesforce pretty-prints (``"key" : value``) when the client sends X-PrettyPrint."""
    if pretty:
        return json.dumps(data, indent=2, separators=(",", " : ")).encode()
    return json.dumps(data, separators=(",", ":")).encode()


__all__ = ["RestError", "soql", "versions", "resources", "describe_global", "identity", "dump"]
