# Deliberately failing: every variable here is invalid, so the plan stops with each validation
# message. tests/terraform/test_terraform_checks.py runs this directory and checks that every
# message reaches the person who made the mistake. `terraform test` alone does not run it.

mock_provider "aws" {
  source = "./tests/mocks"
}

run "every_bad_value_is_named" {
  command = plan

  variables {
    lambda_packages_dir                   = "./tests/packages"
    gpu_instance_id                       = "gpu-box-1"
    name_prefix                           = "Staging_"
    task_queue_visibility_timeout_seconds = 43201
    task_queue_max_receive_count          = 0
    idle_minutes                          = 0
    alarm_period_seconds                  = 90
    log_retention_days                    = 10
    power_schedule_expression             = "every 5 minutes"
  }
}
