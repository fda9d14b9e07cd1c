# The GPU instance exists already (it is not created here); this module only puts the tag that
# the start/stop permissions require on it, when asked to.
#
# The instance profile cannot be attached to an existing instance by Terraform (the AWS provider
# has no association resource); the README shows the one `aws ec2 associate-iam-instance-profile`
# call, with the profile name from the `gpu_instance_profile_name` output.

resource "aws_ec2_tag" "this" {
  for_each = var.manage_tags ? var.tags : {}

  resource_id = var.instance_id
  key         = each.key
  value       = each.value
}
