"""Regression: at debug level botocore logged CreateKeyPair's response body, and with it the
new private SSH key; keyroll's AWS clients now drop every response body line."""

from __future__ import annotations

import logging

import pytest

from tui.clients.aws_session import AwsTarget
from tui.clients.key_pairs import create_key_pair


def test_a_new_private_key_never_reaches_the_debug_log(
    aws_moto: AwsTarget, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):  # every logger, botocore's included
        name, private = create_key_pair(aws_moto, "lab")
    body = [line for line in private.reveal().splitlines() if not line.startswith("-----")]
    assert len(body) > 5
    assert name.startswith("lab-keypair-")
    assert any(r.name == "botocore.parsers" for r in caplog.records)  # the reply was logged ...
    for line in body:
        assert line not in caplog.text  # ... but never the key
