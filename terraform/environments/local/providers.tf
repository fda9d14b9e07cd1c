# The emulator's providers: AWS_ENDPOINT_URL names the emulator (no endpoint is written here), and
# the switches below skip what only AWS answers (STS credential and account checks, the instance
# metadata service) and address S3 buckets by path, as emulators serve them.
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
