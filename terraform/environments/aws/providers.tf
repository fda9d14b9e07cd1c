# Credentials come from the usual AWS sources (profile, SSO, environment), or from the role given in
# assume_role; allowed_account_ids stops a plan made with the wrong account's credentials. Every
# resource gets the default tags.
provider "aws" {
  region              = var.aws_region
  allowed_account_ids = var.allowed_account_ids

  dynamic "assume_role" {
    for_each = var.assume_role == null ? [] : [var.assume_role]

    content {
      role_arn     = assume_role.value.role_arn
      external_id  = assume_role.value.external_id
      session_name = assume_role.value.session_name
    }
  }

  default_tags {
    tags = var.tags
  }
}

# The second pool's region. Terraform cannot loop over providers, so a third region is one more
# provider block like this and one more modules/gpu_pool call, added to the stack's remote_pools.
provider "aws" {
  alias               = "second_pool"
  region              = try(var.second_pool.region, var.aws_region)
  allowed_account_ids = var.allowed_account_ids

  dynamic "assume_role" {
    for_each = var.assume_role == null ? [] : [var.assume_role]

    content {
      role_arn     = assume_role.value.role_arn
      external_id  = assume_role.value.external_id
      session_name = assume_role.value.session_name
    }
  }

  default_tags {
    tags = var.tags
  }
}
