# The stack with a fleet: the API no longer starts a single instance but wakes the group from 0 to 1
# (on that group only), the power run is told its group and scales it further, and the dashboard shows
# the group.

mock_provider "aws" {
  source = "./tests/mocks"

  mock_resource "aws_autoscaling_group" {
    defaults = {
      arn = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0:autoScalingGroupName/gpu-fleet-us-east-1"
    }
  }
}

variables {
  gpu    = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0" }
  lambda = { packages_dir = "./tests/packages" }
  build  = { wheel_dir = "./tests/packages" }
}

run "single_created_instance_is_woken_by_the_api_as_before" {
  command = plan

  assert {
    condition     = contains(keys(output.api_environment), "GPU_INSTANCE_ID") && module.home_pool.fleet == null && !contains(keys(output.api_environment), "GPU_FLEET_GROUP") && module.api.fleet_policy_json == null
    error_message = "Without a fleet the API starts the single instance on a submit."
  }
}

run "a_fleet_is_woken_by_the_api_and_scaled_by_the_power_run" {
  command = apply # the group's ARN, which the API's policy names, is known after apply

  variables {
    fleet = { max_size = 3 }
  }

  assert {
    condition     = !contains(keys(output.api_environment), "GPU_INSTANCE_ID") && module.api.instance_policy_json == null
    error_message = "With a fleet the API starts no single instance."
  }

  assert {
    condition     = output.api_environment.GPU_FLEET_GROUP == "gpu-fleet-us-east-1"
    error_message = "The API is told the group a submit wakes."
  }

  assert {
    condition     = module.api.fleet_policy_json != null
    error_message = "The API role may wake the group (tests/iam.tftest.hcl checks what the policy allows)."
  }

  assert {
    condition     = output.power_environment.GPU_FLEET_GROUP == "gpu-fleet-us-east-1" && output.power_environment.GPU_FLEET_MAX_SIZE == "3"
    error_message = "The power run is told the group it scales."
  }
}
