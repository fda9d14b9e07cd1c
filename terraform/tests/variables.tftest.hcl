# Variable validation lets good values through, each to where it is used. Bad ones are rejected
# with their messages in tests/variable_messages, one plan with every kind of mistake, which
# tests/terraform/test_terraform_checks.py runs and reads (an error, so not part of this suite).

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "good_values_plan" {
  command = plan

  variables {
    name_prefix = "staging-"
    power       = { idle_minutes = 5, alarm_period_seconds = 60, schedule_expression = "rate(1 minute)" }
    queue       = { visibility_timeout_seconds = 600 }
    api         = { domain_name = "gpu-api.example.com", certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc" }
  }

  assert {
    condition     = output.idle_minutes == 5 && output.worker_environment.VISIBILITY_TIMEOUT_S == "600" && output.power_environment.IDLE_MINUTES == "5"
    error_message = "A value set in a group reaches the services; the rest keep their defaults."
  }

  assert {
    condition     = output.worker_environment.JOB_TIMEOUT_S == "1800" && module.home_pool.alarm_name == "staging-QueueEmptyFor30Min"
    error_message = "Unset attributes keep their defaults."
  }
}
