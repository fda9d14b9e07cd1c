# No endpoint is written here: the provider honours AWS_ENDPOINT_URL, which points it at an
# emulator on a laptop or in CI. The skip_* switches exist for emulators; on AWS they stay false.
provider "aws" {
  region = var.aws_region

  skip_credentials_validation = var.skip_credentials_validation
  skip_requesting_account_id  = var.skip_requesting_account_id
  skip_metadata_api_check     = var.skip_metadata_api_check
  s3_use_path_style           = var.s3_use_path_style

  default_tags {
    tags = var.tags
  }
}
