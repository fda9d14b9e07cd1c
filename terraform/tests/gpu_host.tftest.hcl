# The GPU host (modules/gpu_host): a created instance is private, encrypted, IMDSv2-only, tagged with
# its volumes, carries the pool's profile and sets itself up from its user data; an adopted one gets
# no launch template; the host's role reads exactly its own parameters, document and build; bad
# inputs are refused with a message a person understands.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  names = {
    instance           = "gpu-comfyui-us-east-1"
    launch_template    = "gpu-host-us-east-1"
    security_group     = "gpu-host-us-east-1"
    log_group          = "/gpu-orchestrator/gpu-host"
    settings_parameter = "/gpu-orchestrator/worker-environment"
    build_parameter    = "/gpu-orchestrator/build"
    agent_parameter    = "/gpu-orchestrator/cloudwatch-agent"
    setup_document     = "gpu-orchestrator-host-setup"
  }
  instance_profile_name = "gpu-instance-profile"
  role_name             = "gpu-instance-role"
  gpu_tag               = { key = "Purpose", value = "GPU-ComfyUI" }
  settings              = { SQS_QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/gpu_tasks_queue", VISIBILITY_TIMEOUT_S = "300" }
  build = {
    bucket  = "gpu-orchestrator-builds-123456789012"
    key     = "builds/0123456789abcdef/gpu_orchestrator-0.1.0-py3-none-any.whl"
    sha256  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    version = "0123456789abcdef"
  }
}

run "created_host_is_private_encrypted_imdsv2_and_tagged" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    launch = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0" }
  }

  assert {
    condition     = length(aws_instance.this) == 1 && aws_launch_template.this[0].instance_type == "g6e.2xlarge" && aws_launch_template.this[0].image_id == "ami-0123456789abcdef0"
    error_message = "Without instance_id the host is created from a launch template with the given AMI and the default type."
  }

  assert {
    condition     = aws_launch_template.this[0].metadata_options[0].http_tokens == "required" && aws_launch_template.this[0].metadata_options[0].http_put_response_hop_limit == 1
    error_message = "The host must require IMDSv2 tokens, reachable from the host only (hop limit 1)."
  }

  assert {
    condition     = aws_launch_template.this[0].block_device_mappings[0].ebs[0].encrypted == "true" && aws_launch_template.this[0].block_device_mappings[0].device_name == "/dev/sda1" && aws_launch_template.this[0].block_device_mappings[0].ebs[0].volume_size == 200
    error_message = "The root volume (the AMI's root device) must be encrypted, 200 GiB by default."
  }

  assert {
    condition     = aws_launch_template.this[0].network_interfaces[0].associate_public_ip_address == "false" && aws_launch_template.this[0].network_interfaces[0].subnet_id == "subnet-0123456789abcdef0"
    error_message = "The host must have no public address, in the given subnet."
  }

  assert {
    condition     = aws_launch_template.this[0].iam_instance_profile[0].name == "gpu-instance-profile"
    error_message = "The host must carry the pool's instance profile."
  }

  assert {
    condition = alltrue([
      for spec in aws_launch_template.this[0].tag_specifications :
      spec.tags["Purpose"] == "GPU-ComfyUI" && spec.tags["Project"] == "gpu-orchestrator"
    ]) && toset([for spec in aws_launch_template.this[0].tag_specifications : spec.resource_type]) == toset(["instance", "volume", "network-interface"])
    error_message = "The instance, its volumes and its network interface must carry the GPU tag and the provider's default tags."
  }

  assert {
    condition     = aws_instance.this[0].tags["Purpose"] == "GPU-ComfyUI"
    error_message = "The instance resource itself must carry the GPU tag (start and stop require it)."
  }

  assert {
    condition     = length(aws_vpc_security_group_egress_rule.https) == 1 && aws_vpc_security_group_egress_rule.https[0].from_port == 443
    error_message = "The host's security group allows outbound HTTPS only, and no inbound rule exists."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.this[0].user_data), "export GPUJOBS_SETUP_DOCUMENT='gpu-orchestrator-host-setup'") && startswith(base64decode(aws_launch_template.this[0].user_data), "#cloud-config")
    error_message = "The user data must be cloud-config that runs the setup script with its settings."
  }

  assert {
    condition     = length(base64decode(aws_launch_template.this[0].user_data)) < 16384
    error_message = "EC2 refuses user data over 16 KiB: keep the setup script short."
  }

  assert {
    condition     = length(split("\n", local.setup_script)) == length(jsondecode(aws_ssm_document.setup[0].content).mainSteps[0].inputs.runCommand)
    error_message = "The setup document must run the same script as the user data."
  }

  assert {
    condition     = jsondecode(aws_ssm_parameter.settings.value).VISIBILITY_TIMEOUT_S == "300" && jsondecode(aws_ssm_parameter.build[0].value).version == "0123456789abcdef"
    error_message = "The settings parameter must hold the services' settings and the build parameter the wanted build."
  }
}

run "host_role_reads_exactly_its_own_parameters_document_and_build" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    instance_id = "i-0f0f6fd680921de5f"
  }

  assert {
    condition = toset(one([for s in data.aws_iam_policy_document.setup.statement : s.resources if s.sid == "ReadHostParameters"])) == toset([
      "arn:aws:ssm:us-east-1:123456789012:parameter/gpu-orchestrator/worker-environment",
      "arn:aws:ssm:us-east-1:123456789012:parameter/gpu-orchestrator/cloudwatch-agent",
      "arn:aws:ssm:us-east-1:123456789012:parameter/gpu-orchestrator/build",
    ])
    error_message = "The host may read its settings, agent and build parameters, and no other."
  }

  assert {
    condition     = one([for s in data.aws_iam_policy_document.setup.statement : s.resources if s.sid == "ReadBuild"]) == toset(["arn:aws:s3:::gpu-orchestrator-builds-123456789012/builds/0123456789abcdef/gpu_orchestrator-0.1.0-py3-none-any.whl"])
    error_message = "The host may read the wanted build's object only."
  }

  assert {
    condition = alltrue([
      for s in data.aws_iam_policy_document.telemetry.statement :
      s.resources != ["*"] || (s.actions == toset(["cloudwatch:PutMetricData"]) && anytrue([for c in s.condition : c.variable == "cloudwatch:namespace"]))
    ])
    error_message = "Only PutMetricData may name \"*\", and then only for the host's namespace."
  }

  assert {
    condition     = contains(keys(aws_iam_role_policy.host), "host-session-manager") && aws_iam_role_policy.host["host-session-manager"].role == "gpu-instance-role" && anytrue([for s in data.aws_iam_policy_document.session_manager.statement : contains(s.actions, "ssmmessages:OpenDataChannel")])
    error_message = "The host's role must answer Session Manager and Run Command."
  }

  assert {
    condition     = length(aws_instance.this) == 0 && length(aws_launch_template.this) == 0 && output.instance_id == "i-0f0f6fd680921de5f" && output.instance_arn == "arn:aws:ec2:us-east-1:123456789012:instance/i-0f0f6fd680921de5f"
    error_message = "An adopted host gets no launch template and no instance; its id is the given one."
  }
}

run "without_a_build_no_document_and_no_user_data" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    launch = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0" }
    build  = null
  }

  assert {
    condition     = length(aws_ssm_document.setup) == 0 && length(aws_ssm_parameter.build) == 0 && aws_launch_template.this[0].user_data == null
    error_message = "Without a build the host has no setup document, no build parameter and no user data."
  }
}

run "vpc_endpoints_for_a_subnet_without_nat" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    instance_id   = "i-0f0f6fd680921de5f"
    vpc_endpoints = { subnet_ids = ["subnet-0123456789abcdef0"], route_table_ids = ["rtb-0123456789abcdef0"] }
  }

  assert {
    condition     = toset(keys(aws_vpc_endpoint.interface)) == toset(["ssm", "ssmmessages", "ec2messages", "logs", "monitoring", "sqs"]) && toset(keys(aws_vpc_endpoint.gateway)) == toset(["s3", "dynamodb"])
    error_message = "The host's APIs get interface endpoints, S3 and DynamoDB gateway endpoints."
  }

  assert {
    condition     = aws_vpc_endpoint.interface["sqs"].service_name == "com.amazonaws.us-east-1.sqs" && aws_vpc_endpoint.interface["sqs"].private_dns_enabled
    error_message = "Interface endpoints answer the services' usual names (private DNS)."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.endpoints[0].cidr_ipv4 == "10.20.0.0/16" && aws_vpc_security_group_ingress_rule.endpoints[0].from_port == 443
    error_message = "The endpoints accept HTTPS from the VPC only."
  }
}

run "adopt_or_create_not_both" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    instance_id = "i-0f0f6fd680921de5f"
    launch      = { ami_id = "ami-0123456789abcdef0", subnet_id = "subnet-0123456789abcdef0" }
  }

  expect_failures = [var.instance_id]
}

run "bad_launch_and_software_values_are_refused" {
  command = plan

  module {
    source = "./modules/gpu_host"
  }

  variables {
    launch   = { ami_id = "ubuntu-22.04", subnet_id = "private-a", root_volume_size_gb = 8, instance_type = "big gpu" }
    software = { models_s3_uri = "https://example.com/models", comfyui_commit = "v0.3.64" }
  }

  expect_failures = [var.launch, var.software]
}
