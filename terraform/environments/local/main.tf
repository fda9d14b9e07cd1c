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

  distributor_enabled       = var.distributor_enabled
  distributor_remote_queues = { for pool in module.second_pool : pool.region => pool }
}

# Multi-region mode: a second pool in another region, with its own stopped stand-in, sharing the
# task table and results bucket of the stack above.
resource "aws_instance" "second_stand_in" {
  #checkov:skip=CKV_AWS_126:Emulator stand-in only; never created on AWS
  #checkov:skip=CKV_AWS_135:Emulator stand-in only; never created on AWS
  count    = var.distributor_enabled ? 1 : 0
  provider = aws.second_region

  ami                  = var.stand_in_ami_id
  instance_type        = var.stand_in_instance_type
  iam_instance_profile = module.second_pool[0].gpu_instance_profile_name

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted   = true
    volume_size = 8
  }

  tags = {
    Name              = "${var.name_prefix}gpu-comfyui-stand-in-${var.second_region}"
    (var.gpu_tag_key) = var.gpu_tag_value
  }
}

resource "aws_ec2_instance_state" "second_stand_in" {
  count    = var.distributor_enabled ? 1 : 0
  provider = aws.second_region

  instance_id = aws_instance.second_stand_in[0].id
  state       = "stopped"
}

module "second_pool" {
  source    = "../../modules/gpu_pool"
  count     = var.distributor_enabled ? 1 : 0
  providers = { aws = aws.second_region }

  name_prefix         = var.name_prefix
  gpu_instance_id     = aws_instance.second_stand_in[0].id
  task_table_name     = module.stack.task_table_name
  task_table_arn      = module.stack.task_table_arn
  status_index_arn    = module.stack.task_table_status_index_arn
  task_table_region   = module.stack.task_table_region
  results_bucket_name = module.stack.results_bucket_name
  results_bucket_arn  = module.stack.results_bucket_arn
  package_path        = "${coalesce(var.lambda_packages_dir, "${path.module}/../../../build/lambda")}/shutdown.zip"
  idle_minutes        = var.idle_minutes
  log_retention_days  = 1
  gpu_tag_key         = var.gpu_tag_key
  gpu_tag_value       = var.gpu_tag_value
}
