# onConnect / onDisconnect: container images (infra/docker/Dockerfile, target "lambda"). They
# reach DocumentDB inside the VPC to redeem tickets and DynamoDB through the gateway endpoint.
resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.edge_functions

  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "edge" {
  for_each = local.edge_functions

  function_name = "${local.name}-${each.key}"
  description   = "Susurro WebSocket ${each.value.route_key} handler"
  role          = aws_iam_role.lambda.arn
  package_type  = "Image"
  image_uri     = local.images[each.key]
  architectures = ["x86_64"]
  memory_size   = var.lambda_memory_mb
  timeout       = var.lambda_timeout_seconds

  vpc_config {
    subnet_ids         = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  # Lambda cannot inject Secrets Manager values into its environment; the URL is copied from
  # the same secret material at deploy time. Environment variables are encrypted at rest, and
  # reading them takes lambda:GetFunctionConfiguration on these functions.
  environment {
    variables = {
      STORAGE                = "mongodb"
      MONGODB_URL            = local.mongodb_url
      MONGODB_DB             = local.mongodb_database
      CONNECTIONS_TABLE      = aws_dynamodb_table.connections.name
      CONNECTION_TTL_SECONDS = tostring(var.connection_ttl_seconds)
      LOG_LEVEL              = var.log_level
      NODE_EXTRA_CA_CERTS    = local.lambda_ca_bundle
    }
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.lambda[each.key].name
  }

  depends_on = [aws_iam_role_policy.lambda]
}

resource "aws_lambda_permission" "apigateway" {
  for_each = local.edge_functions

  statement_id  = "AllowApiGatewayInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.edge[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.websocket.execution_arn}/*/${each.value.route_key}"
}
