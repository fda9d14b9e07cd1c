# For the stand-in instance only; the stack's own provider is configured in the root module from
# the same variables. AWS_ENDPOINT_URL names the emulator.
provider "aws" {
  region = var.aws_region

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}

# The second GPU pool's region, used only when distributor_enabled is on.
provider "aws" {
  alias  = "second_region"
  region = var.second_region

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
}
