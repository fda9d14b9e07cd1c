# A GPU host created in a private subnet, with a role and profile made here (in a pool they are the
# worker's). Without a build it gets no user data and no setup document: the pool passes the stack's
# build. Give a GPU AMI of the region and a private subnet, then terraform init && terraform apply.

provider "aws" {
  region = "us-east-1"
}

variable "ami_id" {
  description = "A GPU AMI of us-east-1 (e.g. an AWS Deep Learning AMI for Ubuntu)."
  type        = string
  default     = "ami-0123456789abcdef0"
}

variable "subnet_id" {
  description = "A private subnet with a NAT gateway (or pass vpc_endpoints)."
  type        = string
  default     = "subnet-0123456789abcdef0"
}

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "host" {
  name               = "example-gpu-host"
  assume_role_policy = data.aws_iam_policy_document.ec2_trust.json
}

resource "aws_iam_instance_profile" "host" {
  name = "example-gpu-host"
  role = aws_iam_role.host.name
}

module "host" {
  source = "../../"

  names = {
    instance           = "example-gpu-comfyui"
    launch_template    = "example-gpu-host"
    security_group     = "example-gpu-host"
    log_group          = "/example-gpu-orchestrator/gpu-host"
    settings_parameter = "/example-gpu-orchestrator/worker-environment"
    build_parameter    = "/example-gpu-orchestrator/build"
    agent_parameter    = "/example-gpu-orchestrator/cloudwatch-agent"
    setup_document     = "example-gpu-orchestrator-host-setup"
  }
  launch                = { ami_id = var.ami_id, subnet_id = var.subnet_id, instance_type = "g6e.xlarge" }
  instance_profile_name = aws_iam_instance_profile.host.name
  role_name             = aws_iam_role.host.name
  gpu_tag               = { key = "Purpose", value = "GPU-ComfyUI" }
  settings              = { JOB_TIMEOUT_S = "1800" }
}

output "instance_id" {
  description = "Id of the created GPU instance."
  value       = module.host.instance_id
}

output "launch_template_id" {
  description = "The launch template, for an Auto Scaling group later."
  value       = module.host.launch_template_id
}
