"""The parts of a Lambda context that the handlers and Powertools read, for invoking a handler in a test."""

from dataclasses import dataclass


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    aws_request_id: str = "5b2b7e36-7c3e-4c9b-9d0e-2b5d1f3c1a11"
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
