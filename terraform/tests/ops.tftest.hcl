# Operations (modules/ops and the alarms of a pool): one topic every alarm notifies, that CloudWatch
# and Budgets of this account only may publish to; the API alarm only with a gateway; a budget only
# when asked; each pool's alarms on what hurts, sent to the topic.

mock_provider "aws" {
  source = "./tests/mocks"
}

# The topic's ARN as the ops module would output it, so the alarms' actions are known at plan.
override_module {
  target = module.ops
  outputs = {
    topic_arn   = "arn:aws:sns:us-east-1:123456789012:gpu-orchestrator-ops"
    alarm_names = ["api-5xx"]
  }
}

variables {
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
  gpu    = { instance_id = "i-0f0f6fd680921de5f" }
}

run "every_alarm_notifies_the_ops_topic" {
  command = plan

  variables {
    ops = { emails = ["oncall@example.com"] }
  }

  assert {
    condition = alltrue([
      for alarm in [
        module.home_pool.alarms.dead_letters, module.home_pool.alarms.oldest_job, module.home_pool.alarms.power_not_running,
        module.home_pool.alarms.idle_gpu, module.home_pool.alarms.capacity,
      ] : alarm.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:gpu-orchestrator-ops"])
    ])
    error_message = "Every alarm of the pool must notify the ops topic."
  }

  assert {
    condition     = module.home_pool.alarms.idle_gpu.threshold == 60 && module.home_pool.alarms.idle_gpu.metric_name == "IdleMinutes" && module.home_pool.alarms.oldest_job.threshold == 900
    error_message = "The idle alarm fires at twice the idle window (30 minutes); the oldest-job alarm at 15 minutes."
  }

  assert {
    condition     = length(module.network) == 0 && output.network == null
    error_message = "No VPC is made unless network.create_vpc is set."
  }

}

run "the_api_alarm_only_with_a_gateway" {
  command = plan

  module {
    source = "./modules/ops"
  }

  variables {
    topic_name   = "gpu-orchestrator-ops"
    api_id       = "a1b2c3d4e5"
    api_id_known = true
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.api_5xx) == 1 && aws_cloudwatch_metric_alarm.api_5xx[0].dimensions.ApiId == "a1b2c3d4e5" && aws_cloudwatch_metric_alarm.api_5xx[0].metric_name == "5xx"
    error_message = "With an HTTP API its 5xx answers alarm."
  }
}

run "the_topic_takes_only_this_accounts_alarms_and_budgets" {
  command = plan

  module {
    source = "./modules/ops"
  }

  variables {
    topic_name         = "gpu-orchestrator-ops"
    monthly_budget_usd = 400
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.topic.statement :
      anytrue([for c in s.condition : c.variable == "aws:SourceAccount" && contains(c.values, "123456789012")])
    ]) && toset(flatten([for s in data.aws_iam_policy_document.topic.statement : [for p in s.principals : p.identifiers]])) == toset(["cloudwatch.amazonaws.com", "budgets.amazonaws.com"])
    error_message = "Only CloudWatch and Budgets, for this account, may publish to the ops topic."
  }

  assert {
    condition     = length(aws_budgets_budget.monthly) == 1 && aws_budgets_budget.monthly[0].limit_amount == "400" && length(aws_cloudwatch_metric_alarm.api_5xx) == 0
    error_message = "A budget is made when asked; no API alarm without an API."
  }
}

run "no_budget_unless_asked" {
  command = plan

  module {
    source = "./modules/ops"
  }

  variables {
    topic_name = "gpu-orchestrator-ops"
    emails     = ["oncall@example.com", "lead@example.com"]
  }

  assert {
    condition     = length(aws_budgets_budget.monthly) == 0 && length(aws_sns_topic_subscription.email) == 2
    error_message = "No budget unless monthly_budget_usd is set; each address is subscribed."
  }
}
