# Three regions behind one master queue. Each region's queue is created by that region's provider;
# the distributor itself lives in the home region (the default provider).

provider "aws" {
  region = var.home_region
}

provider "aws" {
  alias  = "us_west_2"
  region = "us-west-2"
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
}

module "queue_home" {
  source = "../../../task_queue"

  name     = "gpu_tasks_queue_${replace(var.home_region, "-", "_")}"
  dlq_name = "gpu_tasks_queue_${replace(var.home_region, "-", "_")}_dlq"
}

module "queue_us_west_2" {
  source    = "../../../task_queue"
  providers = { aws = aws.us_west_2 }

  name     = "gpu_tasks_queue_us_west_2"
  dlq_name = "gpu_tasks_queue_us_west_2_dlq"
}

module "queue_eu_west_1" {
  source    = "../../../task_queue"
  providers = { aws = aws.eu_west_1 }

  name     = "gpu_tasks_queue_eu_west_1"
  dlq_name = "gpu_tasks_queue_eu_west_1_dlq"
}

module "distributor" {
  source = "../../"

  packages_dir = var.packages_dir
  regional_queues = {
    (var.home_region) = module.queue_home
    "us-west-2"       = module.queue_us_west_2
    "eu-west-1"       = module.queue_eu_west_1
  }
}
