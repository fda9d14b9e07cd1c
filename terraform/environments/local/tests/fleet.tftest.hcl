# The local environment with fleet_max_size above 1, applied to mocked providers: the pool is a group
# from the stand-in's image in the default subnet, no stand-in is created, and the API, the power run
# and the worker are handed the group instead of an instance (what `make up` follows with one
# emulated host per instance).

mock_provider "aws" {
  source = "../../tests/mocks"

  mock_data "aws_subnets" {
    defaults = {
      ids = ["subnet-0bbbbbbbbbbbbbbbb", "subnet-0aaaaaaaaaaaaaaaa"]
    }
  }
}

mock_provider "aws" {
  alias  = "second_region"
  source = "../../tests/mocks"
}

variables {
  lambda_packages_dir = "../../tests/packages"
  fleet_max_size      = 3
}

run "fleet_wiring" {
  command = apply

  assert {
    condition     = length(module.gpu_stand_in) == 0 && output.gpu_instance_id == null
    error_message = "A fleet creates no stand-in and adopts no instance."
  }

  assert {
    condition     = output.api_environment.GPU_FLEET_GROUP == output.power_environment.GPU_FLEET_GROUP && !contains(keys(output.api_environment), "GPU_INSTANCE_ID") && output.power_environment.GPU_FLEET_MAX_SIZE == "3" && output.worker_environment.GPU_FLEET_GROUP == output.power_environment.GPU_FLEET_GROUP
    error_message = "The API wakes the group, the power run sizes it up to 3, the worker protects its instance in it."
  }
}

run "fleet_size_is_bounded_by_the_host_slots" {
  command = plan

  variables {
    fleet_max_size = 17
  }

  expect_failures = [var.fleet_max_size]
}
