# Three regions behind one master queue. Each regional queue is created by an aliased provider;
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
  source = "../../regional_queue"

  name = "gpu_tasks_queue_${replace(var.home_region, "-", "_")}"
}

module "queue_us_west_2" {
  source    = "../../regional_queue"
  providers = { aws = aws.us_west_2 }

  name = "gpu_tasks_queue_us_west_2"
}

module "queue_eu_west_1" {
  source    = "../../regional_queue"
  providers = { aws = aws.eu_west_1 }

  name = "gpu_tasks_queue_eu_west_1"
}

module "distributor" {
  source = "../../"

  package_path = var.package_path
  regional_queues = {
    (module.queue_home.region)      = module.queue_home
    (module.queue_us_west_2.region) = module.queue_us_west_2
    (module.queue_eu_west_1.region) = module.queue_eu_west_1
  }
}
