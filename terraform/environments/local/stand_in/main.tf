# A stopped instance that stands in for a GPU instance on the emulator (on AWS the instance exists
# already): tagged as the GPU instance, with the worker's instance profile.

variable "name" {
  description = "Name tag of the stand-in."
  type        = string
}

variable "ami_id" {
  description = "AMI of the stand-in; any image the emulator knows."
  type        = string
}

variable "instance_type" {
  description = "Instance type of the stand-in."
  type        = string
}

variable "instance_profile_name" {
  description = "Instance profile of the pool's worker."
  type        = string
}

variable "gpu_tag" {
  description = "The tag that marks a GPU instance, as {key, value}."
  type = object({
    key   = string
    value = string
  })
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_126:Emulator stand-in only; never created on AWS
  #checkov:skip=CKV_AWS_135:Emulator stand-in only; never created on AWS

  ami                  = var.ami_id
  instance_type        = var.instance_type
  iam_instance_profile = var.instance_profile_name

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    encrypted   = true
    volume_size = 8
  }

  tags = {
    Name              = var.name
    (var.gpu_tag.key) = var.gpu_tag.value
  }
}

resource "aws_ec2_instance_state" "this" {
  instance_id = aws_instance.this.id
  state       = "stopped"
}

output "instance_id" {
  description = "Id of the stand-in instance."
  value       = aws_instance.this.id
}
