"""Reading what a person sends a desk: form fields, typed text, a checked shape, ids a table could hold."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from deskkit.inputs import BIGGEST_ID, Text, checked, filled, stored_id, text_fields, where
from deskkit.problems import DeskProblem


class Note(BaseModel):
    title: Text(10)
    body: Text(100, required=False) = ""


def first_kind(errors) -> str:
    return f"{'.'.join(where(errors[0])) or 'body'}: {errors[0]['type']}"


def test_the_csrf_token_and_files_are_not_among_a_forms_text_fields():
    form = {"csrf": "token", "title": "Kia ora", "upload": object()}

    assert text_fields(form) == {"title": "Kia ora"}
    assert text_fields({"title": "a", "body": "b"}, "body") == {"body": "b"}


def test_an_empty_box_counts_as_not_filled_in():
    assert filled({"title": "  ", "body": "x", "count": 0}) == {"body": "x", "count": 0}


def test_a_shape_that_fits_is_read_and_text_is_stripped():
    assert checked(Note, {"title": " Hui "}, first_kind) == Note(title="Hui")


@pytest.mark.parametrize("data, sentence", [
    ({}, "title: missing"), ({"title": "x" * 11}, "title: string_too_long"),
    ({"title": "a\x00b"}, "title: control_characters"), ({"title": ""}, "title: string_too_short"),
])
def test_a_shape_that_does_not_fit_is_a_422_in_the_desks_own_words(data, sentence):
    with pytest.raises(DeskProblem) as refused:
        checked(Note, data, first_kind)

    assert (refused.value.status, refused.value.sentence) == (422, sentence)


def test_line_breaks_and_tabs_are_kept_in_typed_text():
    assert checked(Note, {"title": "ok", "body": "one\n\ttwo"}, first_kind).body == "one\n\ttwo"


@pytest.mark.parametrize("value, kept", [(1, 1), (BIGGEST_ID, BIGGEST_ID), (0, None), (-3, None),
                                         (BIGGEST_ID + 1, None), (10**30, None)])
def test_an_id_no_table_could_hold_is_simply_not_found(value, kept):
    assert stored_id(value) == kept


def test_a_desk_with_smaller_ids_says_how_large_they_go():
    assert stored_id(2**31, biggest=2**31 - 1) is None
