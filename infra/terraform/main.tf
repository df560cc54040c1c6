# Names, tags and the values several files share.
data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  name       = "${var.project}-${var.environment}"
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  tags = {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  # The chat service's port inside the task (PORT), behind both load balancers.
  server_port     = 8080
  documentdb_port = 27017

  # Where Docker images put the Amazon RDS/DocumentDB CA bundle (infra/docker/Dockerfile); Node
  # loads it through NODE_EXTRA_CA_CERTS so the MongoDB driver can verify DocumentDB's TLS.
  server_ca_bundle = "/app/certs/global-bundle.pem"
  lambda_ca_bundle = "/var/task/certs/global-bundle.pem"

  # Images: an explicit URI from secret.tfvars wins, else this stack's ECR repository + tag.
  images = {
    server        = coalesce(var.server_image, "${aws_ecr_repository.this["server"].repository_url}:${var.image_tag}")
    on-connect    = coalesce(var.on_connect_image, "${aws_ecr_repository.this["on-connect"].repository_url}:${var.image_tag}")
    on-disconnect = coalesce(var.on_disconnect_image, "${aws_ecr_repository.this["on-disconnect"].repository_url}:${var.image_tag}")
  }

  # Shared secrets: given in secret.tfvars, or generated once and kept in state.
  gateway_secret      = coalesce(var.gateway_secret, random_password.gateway.result)
  documentdb_password = coalesce(var.documentdb_master_password, random_password.documentdb.result)

  # DocumentDB speaks the MongoDB wire protocol with TLS on; it has no retryable writes, and
  # reads may go to replicas (rs0 is the fixed replica set name of every cluster).
  mongodb_url = format(
    "mongodb://%s:%s@%s:%d/?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false",
    urlencode(var.documentdb_master_username),
    urlencode(local.documentdb_password),
    aws_docdb_cluster.main.endpoint,
    aws_docdb_cluster.main.port,
  )
  mongodb_database = "susurro"

  # Custom metrics published from the chat service's /metrics (see ecs.tf, metrics agent).
  metrics_namespace = "Susurro"
}

resource "random_password" "gateway" {
  length  = 48
  special = false
}

resource "random_password" "documentdb" {
  length  = 40
  special = false
}
