"""PFIF documents as bytes: writing with the standard library's ElementTree, reading untrusted
partner files with defusedxml (no entity expansion, no external entities, no DTD tricks).

Writing follows each version's field order and names (1.3: first_name, last_name, other, found);
reading accepts either version, translates 1.3 names to 1.4, attaches top-level notes to their
person by person_record_id, and reports every structural problem as a FieldError whose pointer
says where (`/person/3/note/1/source_date`) and whose detail names the record id.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from services.common.errors import FieldError, InvalidInput
from services.intake.pfif.records import PfifNote, PfifPerson
from services.intake.pfif.spec import BY_NAMESPACE, RENAMED_IN_1_4, PfifVersion


def to_xml(persons: Iterable[PfifPerson], version: PfifVersion) -> bytes:
    """A PFIF document of `persons` with their notes nested, in `version`'s field order."""
    ns = version.namespace
    ET.register_namespace("pfif", ns)
    root = ET.Element(f"{{{ns}}}pfif")
    for person in persons:
        element = ET.SubElement(root, f"{{{ns}}}person")
        _write_fields(element, person.fields, version.person_fields, version)
        for note in person.notes:
            note_element = ET.SubElement(element, f"{{{ns}}}note")
            _write_fields(note_element, note.fields, version.note_fields, version)
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document


def _write_fields(
    parent: ET.Element, fields: dict[str, str], order: tuple[str, ...], version: PfifVersion
) -> None:
    for name in order:
        source = RENAMED_IN_1_4.get(name, name) if version.version == "1.3" else name
        value = fields.get(source, "")
        if name == "other" and fields.get("alternate_names"):
            # 1.3 has no alternate_names: carry them as an `other` line, as 1.3 suggests
            names = "; ".join(fields["alternate_names"].splitlines())
            value = "\n".join(filter(None, (value, f"alternate_names: {names}")))
        if value:
            ET.SubElement(parent, f"{{{version.namespace}}}{name}").text = value


def parse(data: bytes) -> tuple[PfifVersion, list[PfifPerson]]:
    """The version and persons of a PFIF document; InvalidInput naming every problem."""
    try:
        root = DET.fromstring(data)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidInput(
            "The file is not well-formed, safe XML.", [FieldError("/", _plain(exc))]
        ) from None
    ns, _, local = root.tag[1:].partition("}") if root.tag.startswith("{") else ("", "", root.tag)
    version = BY_NAMESPACE.get(ns)
    if version is None or local != "pfif":
        raise InvalidInput(
            "The file is not a PFIF 1.3 or 1.4 document.",
            [FieldError("/", "root element must be pfif:pfif in the PFIF 1.3 or 1.4 namespace")],
        )
    errors: list[FieldError] = []
    persons: list[PfifPerson] = []
    loose: list[PfifNote] = []
    for index, child in enumerate(root):
        tag = _local(child.tag, ns)
        if tag == "person":
            persons.append(_read_person(child, version, f"/person/{len(persons)}", errors))
        elif tag == "note":
            pointer = f"/note/{len(loose)}"
            loose.append(PfifNote(_read_fields(child, version, "note", pointer, errors), pointer))
        elif tag is not None:
            errors.append(FieldError(f"/{index}", f"unexpected element {tag} in pfif"))
    persons = _attach(persons, loose, errors)
    if errors:
        raise InvalidInput(f"The PFIF file has {len(errors)} problem(s).", errors)
    return version, persons


def _read_person(
    element: ET.Element, version: PfifVersion, pointer: str, errors: list[FieldError]
) -> PfifPerson:
    fields = _read_fields(element, version, "person", pointer, errors)
    notes: list[PfifNote] = []
    for note in element:
        if _local(note.tag, version.namespace) == "note":
            at = f"{pointer}/note/{len(notes)}"
            note_fields = _read_fields(note, version, "note", at, errors)
            owner = note_fields.setdefault("person_record_id", fields.get("person_record_id", ""))
            if owner != fields.get("person_record_id", ""):
                errors.append(
                    FieldError(f"{at}/person_record_id", "does not name the enclosing person")
                )
            notes.append(PfifNote(note_fields, at))
    return PfifPerson(fields, tuple(notes), pointer)


def _read_fields(
    element: ET.Element, version: PfifVersion, kind: str, pointer: str, errors: list[FieldError]
) -> dict[str, str]:
    allowed = version.person_fields if kind == "person" else version.note_fields
    fields: dict[str, str] = {}
    for child in element:
        name = _local(child.tag, version.namespace)
        if name is None or (kind == "person" and name == "note"):
            continue  # foreign namespaces are extensions PFIF allows; notes are read apart
        if name not in allowed or len(child):
            errors.append(
                FieldError(f"{pointer}/{name}", f"is not a PFIF {version.version} {kind} field")
            )
            continue
        key = RENAMED_IN_1_4.get(name, name)
        if key in fields:
            errors.append(FieldError(f"{pointer}/{name}", "appears more than once"))
        fields[key] = (child.text or "").strip()
    return fields


def _attach(
    persons: list[PfifPerson], loose: list[PfifNote], errors: list[FieldError]
) -> list[PfifPerson]:
    by_id = {p.record_id: i for i, p in enumerate(persons)}
    for note in loose:
        owner = note.get("person_record_id")
        if owner not in by_id:
            errors.append(
                FieldError(f"{note.position}/person_record_id", "names no person in this file")
            )
            continue
        i = by_id[owner]
        persons[i] = PfifPerson(persons[i].fields, (*persons[i].notes, note), persons[i].position)
    return persons


def _local(tag: object, ns: str) -> str | None:
    """The local name of a tag in the PFIF namespace, or None for comments and other namespaces."""
    if not isinstance(tag, str) or not tag.startswith(f"{{{ns}}}"):
        return None
    return tag[len(ns) + 2 :]


def _plain(exc: Exception) -> str:
    """The parser's reason, without echoing document content."""
    if isinstance(exc, ET.ParseError):
        line, column = exc.position
        return f"XML syntax error at line {line}, column {column}"
    return f"refused: {type(exc).__name__}"


__all__ = ["parse", "to_xml"]
