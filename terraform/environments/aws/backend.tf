# State in S3, locked by a lock object next to it (use_lockfile, Terraform >= 1.10). The bucket and
# key are per deployment: `make plan ENV=aws` passes backend.hcl (copy backend.hcl.example).
terraform {
  backend "s3" {}
}
