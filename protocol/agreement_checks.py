"""How an agreement file is read and checked, and how each problem is reported: the file, the field
path, the problem.

A field path names one place in the file: `units[1].purpose.mi.child` is the child version, in te reo
Māori, of the purpose of the second unit (lists count from 0).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

DEMO_KEY = "demo"

_ID = re.compile(r"[a-z][a-z0-9-]{0,31}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class AgreementError(ValueError):
    """An agreement file that cannot be used; `errors` lists each problem as (field path, message).

    The field path is empty when the problem is with the file as a whole (missing, not YAML).
    """

    def __init__(self, file: str | Path, errors: list[tuple[str, str]]) -> None:
        self.file = str(file)
        self.errors = list(errors)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One line per problem: 'FILE: field.path: message'."""
        return [f"{self.file}: {path}: {message}" if path else f"{self.file}: {message}"
                for path, message in self.errors]


# ---- Reading the file ----

# PyYAML's C parser, where it was built with one, reads the agreement about six times faster.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _OneValuePerKey(_SafeLoader):
    """Plain YAML keeps the last of two values written under the same key and drops the other without a
    word; in a signed agreement that would hide a change, so a repeated key is an error here."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is written twice in the same place", key_node.start_mark
                )
            if isinstance(key, str):
                seen.add(key)
        return super().construct_mapping(node, deep)


def read_yaml(path: Path) -> dict[str, Any]:
    """The agreement file as YAML data, or an AgreementError saying why it cannot be read."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AgreementError(path, [("", "there is no such file")]) from None
    except UnicodeDecodeError:
        raise AgreementError(path, [("", "cannot be read: it is not UTF-8 text")]) from None
    except OSError as error:
        raise AgreementError(path, [("", f"cannot be read: {error.strerror or error}")]) from None
    try:
        data = yaml.load(source, Loader=_OneValuePerKey)
    except yaml.MarkedYAMLError as error:
        raise AgreementError(path, [("", _yaml_problem(error))]) from None
    except yaml.YAMLError as error:
        raise AgreementError(path, [("", f"this is not valid YAML: {error}")]) from None
    if data is None:
        raise AgreementError(path, [("", "is empty")])
    if not isinstance(data, dict):
        raise AgreementError(path, [("", "should be a mapping of fields (programme:, parties:, ...), "
                                         f"not {_found(data)}")])
    return data


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    problem = f"{at}this is not valid YAML: {error.problem or error}"
    if error.context and error.context_mark and error.context_mark is not mark:
        problem += f" ({error.context} that starts at line {error.context_mark.line + 1})"
    return problem


# ---- Checks on one field ----

def an_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("should be an id of lower-case letters, digits and hyphens, at most 32 characters, "
                         "starting with a letter, such as 'service-reporting'")
    return value


def an_email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError(f"{value!r} is not an email address")
    return value


def a_real_public_key(value: str) -> str:
    if value == DEMO_KEY:
        raise ValueError("a next key is a real key: run `tono keys generate PARTY --next` and put the public key "
                         "it prints here")
    return a_public_key(value)


def a_public_key(value: str) -> str:
    if value == DEMO_KEY:
        return value
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise ValueError(f"should be '{DEMO_KEY}' or an Ed25519 public key in base64 (32 bytes: 44 "
                         f"characters ending in '='), but this is {len(value)} characters and not such a key")
    return value


def listed_once(values: list[str]) -> list[str]:
    repeated = sorted({value for value in values if values.count(value) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(repeated)} more than once")
    return values


# ---- Saying what is wrong ----

_TEXT_KEYS = {"en", "mi", "adult", "child"}
_TEXT_FIELDS = {"description", "name", "purpose", "what", "when", "why"}
_NAMES = "names"
_NAMES_NEED = ("the programme and each party need a short and a full name in each language (en: and mi:, "
               "each with short: and full:); the sentences families read take them from here")


def where(error: Mapping[str, Any]) -> tuple[str, str]:
    """A pydantic validation error as (field path, plain message)."""
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    return path, _plain(error)


def _plain(error: Mapping[str, Any]) -> str:
    kind, loc = error["type"], error["loc"]
    if kind == "missing":
        if _NAMES in loc:
            return f"is missing: {_NAMES_NEED}"
        if loc and loc[-1] in _TEXT_KEYS:
            return "is missing: every sentence a family may read needs en.adult, en.child, mi.adult, mi.child"
        return "is missing"
    if kind == "extra_forbidden" and loc and loc[-1] == "name" and loc[0] in {"programme", "parties"}:
        return f"is now written as names: {_NAMES_NEED}"
    if kind == "extra_forbidden":
        return "is not a field the agreement knows (is it misspelt?)"
    if kind in {"model_type", "dict_type"} and _NAMES in loc:
        return f"should be names, not {_found(error['input'])}: {_NAMES_NEED}"
    if kind in {"model_type", "dict_type"} and loc and loc[-1] in _TEXT_FIELDS:
        return ("should be the four versions of a sentence (en: and mi:, each with adult: and child:), "
                f"not {_found(error['input'])}")
    if kind in {"model_type", "dict_type"}:
        return f"should be a mapping of fields (name: value), not {_found(error['input'])}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"should be true or false, not {_found(error['input'])}"
    if kind == "string_too_short":
        return "should not be empty"
    if kind == "value_error":
        return str(error["ctx"]["error"])
    message = error["msg"]
    if message.startswith("Input should"):
        message = f"should{message.removeprefix('Input should')}, not {_found(error['input'])}"
    return message[0].lower() + message[1:]


def _found(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return repr(value) if len(repr(value)) <= 60 else f"{repr(value)[:57]}..."


def named_and_study_numbered_apart(agreement: Any) -> list[tuple[str, str]]:
    """A unit that receives people's names and also data under their study numbers could join the two itself,
    and a request about a person would then hand it both. So each unit's holdings say which are named
    (`identifiable`), its flows must land in a holding of their kind, and where a unit holds both kinds every
    role says what it `sees`, and no role sees both: the named part of a request goes to the roles that see
    names, the study-numbered part, on its own, to the roles that see study numbers. `reporting.units_may_link`
    does not lift this rule: it lets units share study numbers with one another, never see them beside names."""
    found: list[tuple[str, str]] = []
    for i, unit in enumerate(agreement.units):
        path = f"units[{i}]"
        holds = {kind.id: kind for kind in unit.holds}
        for j, role in enumerate(unit.seen_by):
            for k, kind_id in enumerate(role.sees or []):
                if kind_id not in holds:
                    found.append((f"{path}.seen_by[{j}].sees[{k}]", f"the unit holds nothing with the id {kind_id!r} "
                                                                    f"(it holds {', '.join(holds)})"))
        for flow in agreement.flows:
            if flow.to_unit != unit.id:
                continue
            if flow.identifiable and not unit.holds_named:
                found.append((f"{path}.holds", f"the flow {flow.id!r} names people, but every holding of the unit "
                                               "is marked identifiable: false"))
            if not flow.identifiable and not unit.holds_study_numbered:
                found.append((f"{path}.holds", f"the flow {flow.id!r} carries study numbers, not names, so the unit "
                                               "must list a holding marked identifiable: false for it"))
        if not (unit.holds_named and unit.holds_study_numbered):
            continue
        for j, role in enumerate(unit.seen_by):
            if role.sees is None:
                found.append((f"{path}.seen_by[{j}].sees", "the unit holds both named records and records under "
                                                           "a study number, so each role must say which it sees "
                                                           "(no role may see both)"))
                continue
            kinds = {holds[kind_id].identifiable for kind_id in role.sees if kind_id in holds}
            if kinds == {True, False}:
                found.append((f"{path}.seen_by[{j}].sees", f"the role {role.id!r} would see both named records "
                                                           "and records under a study number, and could match a "
                                                           "person's name to their study number: give each kind "
                                                           "to a different role"))
        for named, what in ((True, "named records"), (False, "records under a study number")):
            if not any(role.sees is not None and any(holds[k].identifiable == named for k in role.sees if k in holds)
                       for role in unit.seen_by):
                found.append((f"{path}.seen_by", f"no role sees the unit's {what}, so no one could answer a "
                                                 "request about them"))
    return found
