# Credentials come from the usual AWS sources (profile, SSO, environment); every resource gets the
# default tags.
provider "aws" {
  region = var.aws_region

  default_tags {
    tags = var.tags
  }
}

# The second pool's region. Terraform cannot loop over providers, so a third region is one more
# provider block like this and one more modules/gpu_pool call, added to the stack's remote_pools.
provider "aws" {
  alias  = "second_pool"
  region = try(var.second_pool.region, var.aws_region)

  default_tags {
    tags = var.tags
  }
}
