# Terraform ≥ 1.9: variable validations below compare variables with each other.
terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80.0, < 6.0.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6.0, < 4.0.0"
    }
  }

  # State lives in S3, configured at init time so no account detail is committed:
  #   terraform init -backend-config=backend.hcl
  # (bucket, key, region, use_lockfile = true). CI's validate runs `init -backend=false`.
  backend "s3" {}
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
