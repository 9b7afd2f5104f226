"""The access log keeps the path asked for, never an enrolment code or a name searched for."""

from __future__ import annotations

import logging

import httpx

from tests.tono.serving import tono_run
from tono.access_log import RedactSecrets, redact


def test_an_enrolment_code_in_a_web_chat_link_is_redacted():
    assert redact("/chat/?start=Zx81-secret_code") == "/chat/?start=[redacted]"


def test_a_people_search_keeps_its_other_parameters_and_loses_the_name():
    assert redact("/provider/people?q=Aroha+Parata&before=120") == "/provider/people?q=[redacted]&before=120"


def test_an_address_with_nothing_secret_is_logged_as_it_came():
    assert redact("/provider/requests?state=received&page=2") == "/provider/requests?state=received&page=2"
    assert redact("/healthz") == "/healthz"


def test_the_filter_rewrites_uvicorn_s_access_record_and_lets_it_through():
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", "/chat/?start=abc", "1.1", 200), None)

    assert RedactSecrets().filter(record) is True
    assert "abc" not in record.getMessage() and "/chat/?start=[redacted]" in record.getMessage()


def test_tono_run_never_writes_a_code_or_a_searched_name_to_its_log(tmp_path):
    with tono_run(tmp_path) as served:
        httpx.get(f"{served.base}/chat/?start=Secret-Code-4321", timeout=10)
        httpx.get(f"{served.base}/provider/people?q=Parata", timeout=10)
    output = served.output()

    assert "/chat/?start=[redacted]" in output  # the access log is on, and the line is there
    assert "Secret-Code-4321" not in output and "Parata" not in output
