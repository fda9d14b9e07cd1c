# The GPU host of one pool: an existing instance adopted by id, or one created from a launch template
# (which a later EC2 Auto Scaling group can launch from too). Either way the host is set up by the
# same script, delivered as an SSM document: a created instance runs it at first boot from its user
# data, and every host runs the document's current content at each boot, so a stopped instance
# installs the wanted build when it next starts; `aws ssm send-command` with the document reaches the
# running ones. The services' settings are one SSM parameter, read at each start.

data "aws_region" "current" {}
data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_default_tags" "current" {}

locals {
  region    = data.aws_region.current.name
  partition = data.aws_partition.current.partition
  account   = data.aws_caller_identity.current.account_id
  created   = var.launch != null

  # A fleet's instances come from an Auto Scaling group (create_instance = false): no single id, and
  # what is limited to "the instance" covers the region's instances (tag conditions narrow it).
  single       = local.created && var.create_instance
  instance_id  = local.single ? one(aws_instance.this[*].id) : var.instance_id
  instance_arn = "arn:${local.partition}:ec2:${local.region}:${local.account}:instance/${local.instance_id == null ? "*" : local.instance_id}"

  # The instance and its volumes carry the provider's default tags, the GPU tag and the caller's.
  host_tags = merge(data.aws_default_tags.current.tags, var.tags, { (var.gpu_tag.key) = var.gpu_tag.value })

  # What the setup script reads above its first line; the document and the user data carry it.
  setup_settings = {
    GPUJOBS_REGION             = local.region
    GPUJOBS_BUILD_PARAMETER    = var.names.build_parameter
    GPUJOBS_SETTINGS_PARAMETER = var.names.settings_parameter
    GPUJOBS_AGENT_PARAMETER    = var.names.agent_parameter
    GPUJOBS_SETUP_DOCUMENT     = var.names.setup_document
    GPUJOBS_RUN_USER           = var.software.run_user
    GPUJOBS_MODELS_S3_URI      = var.software.models_s3_uri == null ? "" : var.software.models_s3_uri
    GPUJOBS_PIP_INDEX_URL      = var.software.pip_index_url == null ? "" : var.software.pip_index_url
  }
  setup_header = join("\n", [for key in sort(keys(local.setup_settings)) : "export ${key}='${local.setup_settings[key]}'"])
  setup_script = "#!/usr/bin/env bash\n${local.setup_header}\n${file("${path.module}/files/host_setup.sh")}"
}

# The services' settings: the pool's worker environment as one JSON document.
resource "aws_ssm_parameter" "settings" {
  #checkov:skip=CKV2_AWS_34:Resource names and limits only, no secrets; operators read it as is

  name        = var.names.settings_parameter
  description = "Settings of the worker and the Unified API on the GPU host (JSON), read at each start."
  type        = "String"
  value       = jsonencode(var.settings)

  tags = var.tags
}

resource "aws_ssm_parameter" "build" {
  #checkov:skip=CKV2_AWS_34:A build's location and checksum, no secrets
  count = var.build == null ? 0 : 1

  name        = var.names.build_parameter
  description = "The build the GPU host should run; its setup installs it when the host's differs."
  type        = "String"
  value = jsonencode({
    version      = var.build.version
    wheel_s3_uri = "s3://${var.build.bucket}/${var.build.key}"
    wheel_sha256 = var.build.sha256
    comfyui = {
      repository = var.software.comfyui_repository
      ref        = var.software.comfyui_ref
      commit     = var.software.comfyui_commit
    }
  })

  tags = var.tags
}

resource "aws_ssm_document" "setup" {
  count = var.build == null ? 0 : 1

  name            = var.names.setup_document
  document_type   = "Command"
  document_format = "JSON"
  content = jsonencode({
    schemaVersion = "2.2"
    description   = "Install or update gpu-orchestrator on the GPU host (the build named by ${var.names.build_parameter})."
    mainSteps = [{
      action = "aws:runShellScript"
      name   = "setup"
      inputs = {
        timeoutSeconds = "3600"
        runCommand     = split("\n", local.setup_script)
      }
    }]
  })

  tags = var.tags
}

# Created mode: the instance's network has no inbound rule at all (Session Manager needs none);
# outbound HTTPS reaches the AWS APIs (through endpoints or NAT) and the package and model hosts.
resource "aws_security_group" "this" {
  count = local.created ? 1 : 0

  name        = var.names.security_group
  description = "GPU host: no inbound; outbound HTTPS to AWS APIs, packages and models"
  vpc_id      = data.aws_subnet.host[0].vpc_id

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "https" {
  count = local.created ? 1 : 0

  security_group_id = aws_security_group.this[0].id
  description       = "HTTPS to AWS APIs, PyPI, GitHub and the model hosts"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

data "aws_subnet" "host" {
  count = local.created ? 1 : 0

  id = var.launch.subnet_id
}

data "aws_ami" "host" {
  count = local.created ? 1 : 0

  filter {
    name   = "image-id"
    values = [var.launch.ami_id]
  }
}

resource "aws_launch_template" "this" {
  count = local.created ? 1 : 0

  name                    = var.names.launch_template
  description             = "GPU host of gpu-orchestrator: encrypted root volume, IMDSv2 only, no public address, set up by its user data."
  image_id                = var.launch.ami_id
  instance_type           = var.launch.instance_type
  ebs_optimized           = true
  update_default_version  = true
  disable_api_termination = false

  iam_instance_profile {
    name = var.instance_profile_name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  monitoring {
    enabled = var.launch.detailed_monitoring
  }

  network_interfaces {
    # An Auto Scaling group places its instances in its own subnets and refuses a template that names one.
    subnet_id                   = var.create_instance ? var.launch.subnet_id : null
    security_groups             = concat([aws_security_group.this[0].id], var.launch.security_group_ids)
    associate_public_ip_address = false
    delete_on_termination       = true
  }

  block_device_mappings {
    device_name = data.aws_ami.host[0].root_device_name

    ebs {
      volume_size           = var.launch.root_volume_size_gb
      volume_type           = "gp3"
      encrypted             = true
      kms_key_id            = var.launch.volume_kms_key_arn
      delete_on_termination = true
    }
  }

  # First boot: install the boot unit, which runs the setup document now and at every later boot.
  user_data = var.build == null ? null : base64encode(templatefile("${path.module}/files/user_data.yaml.tftpl", {
    setup_script = local.setup_script
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.host_tags, { Name = var.names.instance })
  }

  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.host_tags, { Name = var.names.instance })
  }

  tag_specifications {
    resource_type = "network-interface"
    tags          = merge(local.host_tags, { Name = var.names.instance })
  }

  tags = var.tags
}

# The first boot runs the setup, which needs the subnet's way out: the instance waits for it.
resource "terraform_data" "network_ready" {
  input = var.network_ready
}

resource "aws_instance" "this" {
  #checkov:skip=CKV_AWS_8:The launch template encrypts the root volume (checkov does not read it)
  #checkov:skip=CKV_AWS_79:The launch template requires IMDSv2 tokens
  #checkov:skip=CKV_AWS_126:The launch template turns on detailed monitoring (a variable)
  #checkov:skip=CKV_AWS_135:The launch template makes the instance EBS-optimized
  #checkov:skip=CKV2_AWS_41:The launch template attaches the pool's instance profile
  count = local.single ? 1 : 0

  launch_template {
    id      = aws_launch_template.this[0].id
    version = aws_launch_template.this[0].latest_version
  }

  tags = merge(var.tags, { Name = var.names.instance, (var.gpu_tag.key) = var.gpu_tag.value })

  lifecycle {
    # A new template version (another AMI, user data) would replace the host and its downloaded
    # models: builds reach the host through the setup document instead, and a replacement is asked
    # for explicitly (terraform apply -replace). The power logic may run the instance as a fallback
    # type when the preferred one has no capacity; it returns to the preferred type at a later start.
    ignore_changes = [launch_template, instance_type, user_data, ami]
  }

  depends_on = [terraform_data.network_ready]
}
