"""The root DSE and the subschema entry: what a client reads to discover the server."""

from __future__ import annotations

from apps.ldap_server import protocol
from apps.ldap_server.dit import Entry, static_entry

SUBSCHEMA_DN = "cn=Subschema"

# (name, OID, equality rule, syntax OID, single-valued) of every attribute we serve.
ATTRIBUTES = [
    ("objectClass", "2.5.4.0", "objectIdentifierMatch", "1.3.6.1.4.1.1466.115.121.1.38", False),
    ("cn", "2.5.4.3", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("sn", "2.5.4.4", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("title", "2.5.4.12", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("description", "2.5.4.13", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("telephoneNumber", "2.5.4.20", "telephoneNumberMatch", "1.3.6.1.4.1.1466.115.121.1.50", False),
    ("member", "2.5.4.31", "distinguishedNameMatch", "1.3.6.1.4.1.1466.115.121.1.12", False),
    ("givenName", "2.5.4.42", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("ou", "2.5.4.11", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("o", "2.5.4.10", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("uid", "0.9.2342.19200300.100.1.1", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", False),
    ("mail", "0.9.2342.19200300.100.1.3", "caseIgnoreIA5Match", "1.3.6.1.4.1.1466.115.121.1.26", False),
    ("mobile", "0.9.2342.19200300.100.1.41", "telephoneNumberMatch", "1.3.6.1.4.1.1466.115.121.1.50", False),
    ("dc", "0.9.2342.19200300.100.1.25", "caseIgnoreIA5Match", "1.3.6.1.4.1.1466.115.121.1.26", True),
    ("displayName", "2.16.840.1.113730.3.1.241", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", True),
    ("employeeNumber", "2.16.840.1.113730.3.1.3", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15", True),
    ("memberOf", "1.2.840.113556.1.2.102", "distinguishedNameMatch", "1.3.6.1.4.1.1466.115.121.1.12", False),
    ("entryUUID", "1.3.6.1.1.16.4", "uuidMatch", "1.3.6.1.1.16.1", True),
    ("uidNumber", "1.3.6.1.1.1.1.0", "integerMatch", "1.3.6.1.4.1.1466.115.121.1.27", True),
    ("gidNumber", "1.3.6.1.1.1.1.1", "integerMatch", "1.3.6.1.4.1.1466.115.121.1.27", True),
    ("homeDirectory", "1.3.6.1.1.1.1.3", "caseExactIA5Match", "1.3.6.1.4.1.1466.115.121.1.26", True),
    ("loginShell", "1.3.6.1.1.1.1.4", "caseExactIA5Match", "1.3.6.1.4.1.1466.115.121.1.26", True),
    ("memberUid", "1.3.6.1.1.1.1.12", "caseExactIA5Match", "1.3.6.1.4.1.1466.115.121.1.26", False),
]

OBJECT_CLASSES = [
    "( 2.5.6.0 NAME 'top' ABSTRACT MUST objectClass )",
    "( 2.5.6.6 NAME 'person' SUP top STRUCTURAL MUST ( sn $ cn ) MAY ( telephoneNumber $ description ) )",
    "( 2.5.6.7 NAME 'organizationalPerson' SUP person STRUCTURAL MAY ( title $ ou ) )",
    "( 2.16.840.1.113730.3.2.2 NAME 'inetOrgPerson' SUP organizationalPerson STRUCTURAL "
    "MAY ( displayName $ employeeNumber $ givenName $ mail $ mobile $ uid ) )",
    "( 2.5.6.9 NAME 'groupOfNames' SUP top STRUCTURAL MUST ( member $ cn ) MAY ( description $ ou $ o ) )",
    "( 2.5.6.5 NAME 'organizationalUnit' SUP top STRUCTURAL MUST ou MAY description )",
    "( 1.3.6.1.1.1.2.0 NAME 'posixAccount' SUP top AUXILIARY "
    "MUST ( cn $ uid $ uidNumber $ gidNumber $ homeDirectory ) MAY loginShell )",
    "( 1.3.6.1.1.1.2.2 NAME 'posixGroup' SUP top AUXILIARY MUST gidNumber MAY memberUid )",
]


def _attribute_type(name: str, oid: str, equality: str, syntax: str, single: bool) -> str:
    return f"( {oid} NAME '{name}' EQUALITY {equality} SYNTAX {syntax}{' SINGLE-VALUE' if single else ''} )"


def root_dse(base_dn: str, tls: bool) -> Entry:
    entry = static_entry("", "", ["extensibleObject"])
    entry.set("namingContexts", [base_dn])
    entry.set("supportedLDAPVersion", ["3"])
    entry.set("supportedControl", [protocol.OID_PAGED_RESULTS])
    entry.set("supportedExtension", ([protocol.OID_STARTTLS] if tls else []) + [protocol.OID_WHOAMI])
    entry.set("supportedFeatures", ["1.3.6.1.4.1.4203.1.5.1", "1.3.6.1.4.1.4203.1.5.2"])  # "+" and "@" lists
    entry.set("subschemaSubentry", [SUBSCHEMA_DN])
    entry.set("vendorName", ["ArkID"])
    return entry


def subschema() -> Entry:
    entry = static_entry(SUBSCHEMA_DN, "", ["subschema"])
    entry.set("cn", ["Subschema"])
    entry.set("attributeTypes", [_attribute_type(*row) for row in ATTRIBUTES])
    entry.set("objectClasses", OBJECT_CLASSES)
    return entry
