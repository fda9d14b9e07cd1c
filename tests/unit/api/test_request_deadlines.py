"""The API's AWS deadlines, the 3 s answer and the Lambda's limit agree."""

import re
from pathlib import Path

import pytest

from gpujobs.aws_clients import REQUEST_PATH, Deadlines
from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from services.api.api_config import LAMBDA_TIMEOUT_S, SEQUENTIAL_CALLS, request_deadlines

ROOT = Path(__file__).resolve().parents[3]
ANSWER_S = 3.0


def _terraform_api_timeout() -> float:
    text = (ROOT / "terraform" / "variables.tf").read_text()
    match = re.search(r'variable "api".*?timeout\s*=\s*optional\(number,\s*(\d+)\)', text, re.S)
    assert match, "terraform/variables.tf declares no default api timeout"
    return float(match.group(1))


def test_the_lambda_limit_named_in_code_is_terraforms_default() -> None:
    assert _terraform_api_timeout() == LAMBDA_TIMEOUT_S


def test_a_stalled_call_fails_within_the_answer_and_every_call_in_turn_within_the_lambda() -> None:
    assert REQUEST_PATH.stalled_call_s() < ANSWER_S
    assert SEQUENTIAL_CALLS * REQUEST_PATH.worst_call_s() < LAMBDA_TIMEOUT_S
    assert request_deadlines(Settings({})) == REQUEST_PATH


def test_worst_call_counts_attempts_and_backoffs() -> None:
    assert Deadlines(connect_s=1, read_s=2, max_attempts=1).worst_call_s() == 3
    assert Deadlines(connect_s=1, read_s=2, max_attempts=3).worst_call_s() == 3 * 3 + 1 + 2


def test_deadlines_that_could_outlive_the_lambda_are_refused() -> None:
    with pytest.raises(ConfigError, match="API_LAMBDA_TIMEOUT_S"):
        request_deadlines(Settings({"API_AWS_READ_TIMEOUT_S": "5", "API_AWS_MAX_ATTEMPTS": "3"}))
    relaxed = request_deadlines(Settings({"API_AWS_READ_TIMEOUT_S": "2", "API_LAMBDA_TIMEOUT_S": "60"}))
    assert relaxed.read_s == 2
