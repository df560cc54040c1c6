# Users, key bundles and message queues: DocumentDB (MongoDB-compatible), TLS required,
# encrypted at rest, reachable only from the chat service and the Lambda functions.
resource "aws_docdb_subnet_group" "main" {
  name       = "${local.name}-docdb"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_docdb_cluster_parameter_group" "main" {
  name        = "${local.name}-docdb5"
  family      = "docdb5.0"
  description = "Susurro: TLS required"

  parameter {
    name  = "tls"
    value = "enabled"
  }
}

resource "aws_docdb_cluster" "main" {
  cluster_identifier              = "${local.name}-docdb"
  engine                          = "docdb"
  engine_version                  = "5.0.0"
  port                            = local.documentdb_port
  master_username                 = var.documentdb_master_username
  master_password                 = local.documentdb_password
  db_subnet_group_name            = aws_docdb_subnet_group.main.name
  db_cluster_parameter_group_name = aws_docdb_cluster_parameter_group.main.name
  vpc_security_group_ids          = [aws_security_group.documentdb.id]
  storage_encrypted               = true
  backup_retention_period         = var.documentdb_backup_retention_days
  preferred_backup_window         = "02:00-03:00"
  preferred_maintenance_window    = "sun:03:30-sun:04:30"
  deletion_protection             = var.deletion_protection
  skip_final_snapshot             = false
  final_snapshot_identifier       = "${local.name}-docdb-final"
}

resource "aws_docdb_cluster_instance" "main" {
  count = var.documentdb_instance_count

  identifier                 = "${local.name}-docdb-${count.index}"
  cluster_identifier         = aws_docdb_cluster.main.id
  instance_class             = var.documentdb_instance_class
  auto_minor_version_upgrade = true
}

# --- Secrets Manager ---------------------------------------------------------------------------

# The connection details as one JSON secret; ECS injects its "url" key as MONGODB_URL.
resource "aws_secretsmanager_secret" "documentdb" {
  name                    = "${local.name}/documentdb"
  description             = "DocumentDB credentials and connection URL for the chat service"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "documentdb" {
  secret_id = aws_secretsmanager_secret.documentdb.id
  secret_string = jsonencode({
    username = var.documentdb_master_username
    password = local.documentdb_password
    host     = aws_docdb_cluster.main.endpoint
    port     = aws_docdb_cluster.main.port
    url      = local.mongodb_url
  })
}

resource "aws_secretsmanager_secret" "gateway" {
  name                    = "${local.name}/gateway-secret"
  description             = "Shared secret API Gateway sends to the chat service (x-gateway-secret)"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "gateway" {
  secret_id     = aws_secretsmanager_secret.gateway.id
  secret_string = local.gateway_secret
}
