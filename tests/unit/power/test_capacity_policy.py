"""The capacity decision: preferred type first, fallbacks in order, backoff between failed passes."""

import pytest

from gpujobs.capacity_policy import (
    CapacityConfig,
    CapacityState,
    after_shortfall,
    after_start,
    backoff_s,
    plan_start,
)

CONFIG = CapacityConfig(("g6e.2xlarge", "g6.2xlarge", "g5.2xlarge"), base_backoff_s=60, max_backoff_s=900)


def test_a_start_tries_the_preferred_type_then_each_fallback() -> None:
    plan = plan_start(CapacityState(), now=1000, config=CONFIG)
    assert plan.types == ("g6e.2xlarge", "g6.2xlarge", "g5.2xlarge") and not plan.waits


def test_after_a_shortfall_the_next_pass_waits_for_the_backoff() -> None:
    state = after_shortfall(CapacityState(), CONFIG.instance_types, now=1000)
    assert state.shortfalls == 1 and state.last_shortfall_at == 1000
    early = plan_start(state, now=1059, config=CONFIG)
    assert early.waits and early.retry_at == 1060
    assert "next try in 1 s" in early.reason
    assert plan_start(state, now=1060, config=CONFIG).types[0] == "g6e.2xlarge"


def test_backoff_doubles_per_shortfall_and_is_capped() -> None:
    assert [backoff_s(n) for n in range(0, 7)] == [0, 60, 120, 240, 480, 900, 900]
    assert backoff_s(10_000) == 900 and backoff_s(2, base_s=10, max_s=15) == 15


def test_each_pass_starts_again_from_the_preferred_type() -> None:
    state = CapacityState()
    for now in (1000, 1060, 1180):
        plan = plan_start(state, now=now, config=CONFIG)
        assert plan.types[0] == "g6e.2xlarge"
        state = after_shortfall(state, plan.types, now)
    assert state.shortfalls == 3 and state.types_tried == CONFIG.instance_types


def test_a_successful_start_ends_the_shortfall() -> None:
    state = after_shortfall(after_shortfall(CapacityState(), ("g6e.2xlarge",), 1000), ("g6e.2xlarge",), 1060)
    assert state.short and plan_start(state, now=1061, config=CONFIG).waits
    assert after_start() == CapacityState() and not after_start().short
    assert plan_start(after_start(), now=1061, config=CONFIG).types == CONFIG.instance_types


def test_without_fallbacks_only_the_preferred_type_is_tried() -> None:
    plan = plan_start(CapacityState(), 0, CapacityConfig(("g6e.2xlarge",)))
    assert plan.types == ("g6e.2xlarge",) and "fallbacks" not in plan.reason


@pytest.mark.parametrize("types", [(), ("g6e.2xlarge", "g6e.2xlarge")])
def test_a_config_without_types_or_with_a_repeat_is_refused(types: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        CapacityConfig(types)
