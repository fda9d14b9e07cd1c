# A pool as a fleet: off by default (one instance, started and stopped by id); above one instance an
# Auto Scaling group from the host's launch template, from 0 to max, with a warm pool of stopped
# instances (or, with fallback types, a mixed-instances policy over them), a drain hook on
# terminate, and scale permissions limited to the pool's own group.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_data "aws_region" {
    defaults = {
      name = "us-west-2"
    }
  }

  mock_resource "aws_autoscaling_group" {
    defaults = {
      arn = "arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/gpu-fleet-us-west-2"
    }
  }
}

override_module {
  target = module.queue
  outputs = {
    queue_url  = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2"
    queue_arn  = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2"
    queue_name = "gpu_tasks_queue_us_west_2"
    dlq_url    = "https://sqs.us-west-2.amazonaws.com/123456789012/gpu_tasks_queue_us_west_2_dlq"
    dlq_arn    = "arn:aws:sqs:us-west-2:123456789012:gpu_tasks_queue_us_west_2_dlq"
    dlq_name   = "gpu_tasks_queue_us_west_2_dlq"
  }
}

variables {
  gpu = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0" }
  task_table = {
    name             = "task_store"
    arn              = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store"
    status_index_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/task_store/index/status-created_at-index"
    region           = "us-east-1"
  }
  results_bucket = { name = "gpu-orchestrator-results", arn = "arn:aws:s3:::gpu-orchestrator-results" }
  lambda         = { packages_dir = "./tests/packages" }
}

run "off_by_default_one_instance_started_and_stopped_by_id" {
  command = apply

  module {
    source = "./modules/gpu_pool"
  }

  assert {
    condition     = length(aws_autoscaling_group.fleet) == 0 && output.fleet == null && length(aws_iam_role_policy.worker_fleet) == 0 && length(aws_iam_role_policy.power_fleet) == 0
    error_message = "Without fleet.max_size above 1 there is no group and no scaling permission."
  }

  assert {
    condition     = output.power_environment.GPU_INSTANCE_ID == output.gpu_instance_id && output.gpu_instance_id != null && !contains(keys(output.power_environment), "GPU_FLEET_GROUP") && !contains(keys(output.worker_environment), "GPU_FLEET_GROUP")
    error_message = "A single created instance is the power run's GPU_INSTANCE_ID, as before."
  }
}

run "a_fleet_is_a_group_from_zero_with_a_warm_pool_and_a_drain_hook" {
  command = apply

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    fleet = { max_size = 4, jobs_per_instance = 2, drain_seconds = 600 }
  }

  assert {
    condition     = aws_autoscaling_group.fleet[0].min_size == 0 && aws_autoscaling_group.fleet[0].max_size == 4 && aws_autoscaling_group.fleet[0].desired_capacity == 0 && aws_autoscaling_group.fleet[0].name == "gpu-fleet-us-west-2"
    error_message = "The group scales from 0 to fleet.max_size, named for its region."
  }

  assert {
    condition     = one(aws_autoscaling_group.fleet[0].launch_template).id == output.host.launch_template_id && length(aws_autoscaling_group.fleet[0].mixed_instances_policy) == 0
    error_message = "Without fallback types the group launches from the host's launch template."
  }

  assert {
    condition     = one(aws_autoscaling_group.fleet[0].warm_pool).pool_state == "Stopped" && one(aws_autoscaling_group.fleet[0].warm_pool).min_size == 0 && one(one(aws_autoscaling_group.fleet[0].warm_pool).instance_reuse_policy).reuse_on_scale_in
    error_message = "The warm pool holds stopped instances, and a scale-in returns instances to it."
  }

  assert {
    condition     = anytrue([for h in aws_autoscaling_group.fleet[0].initial_lifecycle_hook : h.lifecycle_transition == "autoscaling:EC2_INSTANCE_TERMINATING" && h.heartbeat_timeout == 600 && h.default_result == "CONTINUE"])
    error_message = "A terminating or stopping instance's worker gets drain_seconds to hand back its messages."
  }

  assert {
    condition     = anytrue([for t in aws_autoscaling_group.fleet[0].tag : t.key == "Purpose" && t.value == "GPU-ComfyUI" && t.propagate_at_launch])
    error_message = "The group and its instances carry the GPU tag."
  }

  assert {
    condition     = output.gpu_instance_id == null && length(module.host.instance_arn) > 0 && output.host.created
    error_message = "A fleet has no single instance: the group launches them all."
  }

  assert {
    condition     = output.power_environment.GPU_FLEET_GROUP == "gpu-fleet-us-west-2" && output.power_environment.GPU_FLEET_MAX_SIZE == "4" && output.power_environment.GPU_JOBS_PER_INSTANCE == "2" && !contains(keys(output.power_environment), "GPU_INSTANCE_ID") && output.worker_environment.GPU_FLEET_GROUP == "gpu-fleet-us-west-2" && output.worker_environment.GPU_FLEET_DRAIN_HOOK == one(aws_autoscaling_group.fleet[0].initial_lifecycle_hook).name
    error_message = "The power run scales the group by name, from the backlog per instance; the worker knows its group and its drain hook."
  }

  assert {
    condition     = local.schedule_expression == "rate(1 minute)"
    error_message = "The power run's re-check, which decides a fleet's scale-out, runs every minute."
  }

  assert {
    condition     = output.fleet.group_arn == aws_autoscaling_group.fleet[0].arn && output.fleet.warm_pool && output.fleet.max_size == 4
    error_message = "The fleet output names the group."
  }
}

run "the_worker_protects_and_the_power_run_scales_only_its_own_group" {
  command = apply

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    fleet = { max_size = 3 }
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.worker_fleet[0].statement :
      s.resources == toset([aws_autoscaling_group.fleet[0].arn]) && anytrue([for c in s.condition : c.variable == "autoscaling:ResourceTag/Purpose" && contains(c.values, "GPU-ComfyUI")])
      if !alltrue([for a in s.actions : startswith(a, "autoscaling:Describe")])
    ]) && length([for s in data.aws_iam_policy_document.worker_fleet[0].statement : s if contains(s.actions, "autoscaling:SetInstanceProtection")]) == 1 && alltrue([for s in data.aws_iam_policy_document.worker_fleet[0].statement : alltrue([for a in s.actions : startswith(a, "autoscaling:Describe")]) if s.resources == toset(["*"])])
    error_message = "The worker may set scale-in protection and complete the drain hook on its own group only, while it carries the GPU tag."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.power_fleet[0].statement :
      s.resources == toset([aws_autoscaling_group.fleet[0].arn]) && anytrue([for c in s.condition : c.variable == "autoscaling:ResourceTag/Purpose"])
      if contains(s.actions, "autoscaling:SetDesiredCapacity")
    ]) && length([for s in data.aws_iam_policy_document.power_fleet[0].statement : s if contains(s.actions, "autoscaling:SetDesiredCapacity")]) == 1
    error_message = "The power role may set the desired capacity of its own group only."
  }

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.power_fleet[0].statement : alltrue([for a in s.actions : startswith(a, "autoscaling:Describe")]) if s.resources == toset(["*"])])
    error_message = "Only describe calls may name every resource."
  }

  assert {
    condition     = aws_iam_role_policy.worker_fleet[0].role == aws_iam_role.worker.id && aws_iam_role_policy.power_fleet[0].role == module.power.role_name
    error_message = "The permissions are the pool's worker's and the pool's power run's."
  }
}

run "fallback_types_make_a_mixed_instances_policy_without_a_warm_pool" {
  command = apply

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    gpu   = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0", fallback_instance_types = ["g6.2xlarge", "g5.2xlarge"] }
    fleet = { max_size = 4 }
  }

  assert {
    condition     = [for o in one(one(aws_autoscaling_group.fleet[0].mixed_instances_policy).launch_template).override : o.instance_type] == ["g6e.2xlarge", "g6.2xlarge", "g5.2xlarge"] && one(one(aws_autoscaling_group.fleet[0].mixed_instances_policy).instances_distribution).on_demand_allocation_strategy == "prioritized"
    error_message = "The group tries the preferred type first, then the fallbacks in order."
  }

  assert {
    condition     = length(aws_autoscaling_group.fleet[0].warm_pool) == 0 && length(aws_autoscaling_group.fleet[0].launch_template) == 0 && !output.fleet.warm_pool
    error_message = "AWS refuses a warm pool on a group with a mixed-instances policy."
  }
}

run "a_fleet_needs_a_created_host" {
  command = plan

  module {
    source = "./modules/gpu_pool"
  }

  variables {
    gpu   = { instance_id = "i-0a1b2c3d4e5f60718" }
    fleet = { max_size = 2 }
  }

  expect_failures = [var.fleet]
}
