# The pool as a fleet (fleet.max_size above 1): an EC2 Auto Scaling group launched from the host's
# template, from 0 instances to max_size. The power Lambda sets its desired capacity from the
# backlog (gpujobs/power_policy.py, desired_capacity()); each worker protects its own instance from
# scale-in while it holds a job; a lifecycle hook gives a leaving instance's worker drain_seconds to
# hand back its messages. AWS refuses a warm pool on a group with a mixed-instances policy, so a
# pool picks one: without fallback types, a warm pool of stopped instances (a scale-out starts an
# instance whose models are on disk); with fallback types, the mixed-instances policy tries them in
# order when the preferred type has no capacity (a scale-out then launches a fresh instance).

locals {
  fleet       = var.fleet.max_size > 1
  fleet_mixed = local.fleet && length(var.gpu.fallback_instance_types) > 0
  fleet_warm  = local.fleet && !local.fleet_mixed
  fleet_arn   = one(aws_autoscaling_group.fleet[*].arn)

  # The worker completes the drain hook once it has handed its jobs back, instead of its timeout.
  fleet_drain_hook         = "drain"
  fleet_worker_environment = local.fleet ? { GPU_FLEET_GROUP = local.names.fleet_group, GPU_FLEET_DRAIN_HOOK = local.fleet_drain_hook } : {}
  # A single instance is started and stopped by id; a fleet by its group's desired capacity.
  fleet_power_environment = local.fleet ? {
    GPU_FLEET_GROUP       = local.names.fleet_group
    GPU_FLEET_MAX_SIZE    = tostring(var.fleet.max_size)
    GPU_JOBS_PER_INSTANCE = tostring(var.fleet.jobs_per_instance)
  } : { GPU_INSTANCE_ID = module.host.instance_id }
}

resource "aws_autoscaling_group" "fleet" {
  count = local.fleet ? 1 : 0

  name                      = local.names.fleet_group
  min_size                  = 0
  max_size                  = var.fleet.max_size
  desired_capacity          = 0
  vpc_zone_identifier       = distinct(concat([var.gpu.subnet_id], var.fleet.subnet_ids))
  health_check_type         = "EC2"
  termination_policies      = ["OldestInstance"]
  protect_from_scale_in     = false
  capacity_rebalance        = false
  wait_for_capacity_timeout = "0"

  dynamic "launch_template" {
    for_each = local.fleet_mixed ? [] : [1]

    content {
      id      = module.host.launch_template_id
      version = "$Latest"
    }
  }

  dynamic "mixed_instances_policy" {
    for_each = local.fleet_mixed ? [1] : []

    content {
      instances_distribution {
        on_demand_allocation_strategy            = "prioritized"
        on_demand_base_capacity                  = 0
        on_demand_percentage_above_base_capacity = 100
      }

      launch_template {
        launch_template_specification {
          launch_template_id = module.host.launch_template_id
          version            = "$Latest"
        }

        dynamic "override" {
          for_each = concat([var.gpu.instance_type], var.gpu.fallback_instance_types)

          content {
            instance_type = override.value
          }
        }
      }
    }
  }

  dynamic "warm_pool" {
    for_each = local.fleet_warm ? [1] : []

    content {
      pool_state                  = "Stopped"
      min_size                    = 0
      max_group_prepared_capacity = var.fleet.max_size

      instance_reuse_policy {
        reuse_on_scale_in = true
      }
    }
  }

  # In place before any instance launches: every scale-in, to the warm pool or not, waits for it.
  initial_lifecycle_hook {
    name                 = local.fleet_drain_hook
    lifecycle_transition = "autoscaling:EC2_INSTANCE_TERMINATING"
    heartbeat_timeout    = var.fleet.drain_seconds
    default_result       = "CONTINUE"
  }

  # The GPU tag on the group is what the worker's and the power role's permissions are limited to.
  dynamic "tag" {
    for_each = merge(var.tags, { Name = local.host_names.instance, (var.gpu.tag_key) = var.gpu.tag_value })

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }

  lifecycle {
    # The power Lambda owns the desired capacity.
    ignore_changes = [desired_capacity]
  }
}

# The worker protects its own instance while it holds a job and completes the drain hook; AWS scopes
# these calls to a group, not to an instance: this group only, and only while it carries the GPU tag.
data "aws_iam_policy_document" "worker_fleet" {
  count = local.fleet ? 1 : 0

  statement {
    sid       = "ProtectInstancesOfItsGroup"
    actions   = ["autoscaling:SetInstanceProtection", "autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"]
    resources = [local.fleet_arn]

    condition {
      test     = "StringEquals"
      variable = "autoscaling:ResourceTag/${var.gpu.tag_key}"
      values   = [var.gpu.tag_value]
    }
  }

  statement {
    sid       = "SeeItsInstanceLeaving"
    actions   = ["autoscaling:DescribeAutoScalingInstances"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }
}

resource "aws_iam_role_policy" "worker_fleet" {
  count = local.fleet ? 1 : 0

  name   = "fleet-instance-protection"
  role   = aws_iam_role.worker.id
  policy = data.aws_iam_policy_document.worker_fleet[0].json
}

data "aws_iam_policy_document" "power_fleet" {
  count = local.fleet ? 1 : 0

  statement {
    sid       = "DescribeGroups"
    actions   = ["autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeWarmPool", "autoscaling:DescribeScalingActivities"]
    resources = ["*"] # Describe calls cannot be limited to resources.
  }

  statement {
    sid       = "ScaleItsGroup"
    actions   = ["autoscaling:SetDesiredCapacity"]
    resources = [local.fleet_arn]

    condition {
      test     = "StringEquals"
      variable = "autoscaling:ResourceTag/${var.gpu.tag_key}"
      values   = [var.gpu.tag_value]
    }
  }
}

resource "aws_iam_role_policy" "power_fleet" {
  count = local.fleet ? 1 : 0

  name   = "fleet-desired-capacity"
  role   = module.power.role_name
  policy = data.aws_iam_policy_document.power_fleet[0].json
}
