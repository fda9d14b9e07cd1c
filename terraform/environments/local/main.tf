# The whole system on an AWS emulator (moto's server or LocalStack, named by AWS_ENDPOINT_URL).
# It calls the same root module as environments/aws; only variables differ, plus a stopped
# stand-in for the GPU instance, which on AWS exists already.

resource "aws_instance" "gpu_stand_in" {
  #checkov:skip=CKV_AWS_126:Emulator stand-in only; never created on AWS
  #checkov:skip=CKV_AWS_135:Emulator stand-in only; never created on AWS

  ami                  = var.stand_in_ami_id
  instance_type        = var.stand_in_instance_type
  iam_instance_profile = module.stack.gpu_instance_profile_name

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted   = true
    volume_size = 8
  }

  tags = {
    Name              = "${var.name_prefix}gpu-comfyui-stand-in"
    (var.gpu_tag_key) = var.gpu_tag_value
  }
}

resource "aws_ec2_instance_state" "gpu_stand_in" {
  instance_id = aws_instance.gpu_stand_in.id
  state       = "stopped"
}

module "stack" {
  source = "../.."

  aws_region                  = var.aws_region
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  name_prefix                    = var.name_prefix
  task_table_deletion_protection = false
  results_bucket_force_destroy   = true
  # The emulator serves plain http, which the TLS-only bucket policy would refuse.
  results_bucket_deny_insecure_transport = false
  results_bucket_name                    = "gpu-orchestrator-results"
  lambda_packages_dir                    = var.lambda_packages_dir
  log_retention_days                     = 1
  idle_minutes                           = var.idle_minutes

  gpu_instance_id = aws_instance.gpu_stand_in.id
  gpu_tag_key     = var.gpu_tag_key
  gpu_tag_value   = var.gpu_tag_value
}
