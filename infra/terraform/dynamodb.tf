# Which API Gateway connection belongs to which device. onConnect writes an item, onDisconnect
# deletes it, the chat service reads it (by connectionId, or every device of a user through
# the username index) and deletes stale ones when the management API answers 410 Gone.
resource "aws_dynamodb_table" "connections" {
  name         = "${local.name}-connections"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "connectionId"

  attribute {
    name = "connectionId"
    type = "S"
  }

  attribute {
    name = "username"
    type = "S"
  }

  attribute {
    name = "deviceId"
    type = "N"
  }

  # GSIs are eventually consistent; the chat service copes (a just-made connection gets its
  # queue on its first frame instead).
  global_secondary_index {
    name            = "username-index"
    hash_key        = "username"
    range_key       = "deviceId"
    projection_type = "ALL"
  }

  # API Gateway closes every WebSocket after 2 hours; items expire with it even when
  # $disconnect never fires. TTL deletion can lag, so readers also drop expired items.
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }

  deletion_protection_enabled = var.deletion_protection
}
