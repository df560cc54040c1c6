# The real-time edge: an API Gateway WebSocket API holds every client connection.
#   $connect    → onConnect Lambda (redeems the ticket, records the connection in DynamoDB)
#   $disconnect → onDisconnect Lambda (forgets it)
#   $default    → every frame, POSTed to the chat service on ECS through a VPC link + NLB
# API Gateway WebSocket limits the protocol is built around: a connection lives at most 2 h,
# is closed after 10 min idle (clients heartbeat), frames are at most 32 KB and messages
# 128 KB, and an integration must answer within 29 s.
resource "aws_apigatewayv2_api" "websocket" {
  name          = "${local.name}-ws"
  protocol_type = "WEBSOCKET"
  # Only $connect/$disconnect/$default exist, so every frame takes $default (as in the local
  # emulator, which uses the same expression).
  route_selection_expression = "$request.body.action"
}

locals {
  edge_functions = {
    on-connect    = { route_key = "$connect" }
    on-disconnect = { route_key = "$disconnect" }
  }
  stage_name     = var.environment
  management_url = "https://${aws_apigatewayv2_api.websocket.id}.execute-api.${local.region}.amazonaws.com/${local.stage_name}"
  public_ws_url  = coalesce(var.public_ws_url, aws_apigatewayv2_stage.main.invoke_url)
}

resource "aws_apigatewayv2_integration" "lambda" {
  for_each = local.edge_functions

  api_id             = aws_apigatewayv2_api.websocket.id
  integration_type   = "AWS_PROXY"
  integration_method = "POST"
  integration_uri    = aws_lambda_function.edge[each.key].invoke_arn
}

resource "aws_apigatewayv2_route" "lambda" {
  for_each = local.edge_functions

  api_id    = aws_apigatewayv2_api.websocket.id
  route_key = each.value.route_key
  target    = "integrations/${aws_apigatewayv2_integration.lambda[each.key].id}"
}

# WebSocket APIs reach private services only through a (REST-style) VPC link to an NLB.
resource "aws_lb" "gateway" {
  name                             = "${local.name}-gw"
  load_balancer_type               = "network"
  internal                         = true
  subnets                          = aws_subnet.private[*].id
  enable_cross_zone_load_balancing = true
}

resource "aws_lb_target_group" "gateway" {
  name                 = "${local.name}-gw"
  port                 = local.server_port
  protocol             = "TCP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    protocol            = "HTTP"
    path                = "/readyz"
    matcher             = "200"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
}

resource "aws_lb_listener" "gateway" {
  load_balancer_arn = aws_lb.gateway.arn
  port              = 80
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.gateway.arn
  }
}

resource "aws_api_gateway_vpc_link" "chat" {
  name        = "${local.name}-chat"
  description = "API Gateway WebSocket $default route to the chat service NLB"
  target_arns = [aws_lb.gateway.arn]
}

# Every frame becomes POST /v1/gateway/frames with the frame as the body. The connection id and
# the shared secret travel as headers; the chat service refuses frames without the secret.
# The hop from API Gateway to the NLB is private (PrivateLink) and plain HTTP inside the VPC.
resource "aws_apigatewayv2_integration" "frames" {
  api_id               = aws_apigatewayv2_api.websocket.id
  integration_type     = "HTTP_PROXY"
  integration_method   = "POST"
  integration_uri      = "http://${aws_lb.gateway.dns_name}/v1/gateway/frames"
  connection_type      = "VPC_LINK"
  connection_id        = aws_api_gateway_vpc_link.chat.id
  timeout_milliseconds = 29000

  request_parameters = {
    "integration.request.header.x-connection-id"  = "context.connectionId"
    "integration.request.header.x-gateway-secret" = "'${local.gateway_secret}'"
  }
}

resource "aws_apigatewayv2_route" "default" {
  api_id    = aws_apigatewayv2_api.websocket.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.frames.id}"
}

# WebSocket stages do not auto-deploy: redeploy whenever a route or integration changes.
resource "aws_apigatewayv2_deployment" "main" {
  api_id      = aws_apigatewayv2_api.websocket.id
  description = "Routes and integrations of ${local.name}"

  triggers = {
    redeployment = sha1(jsonencode([
      [for route in aws_apigatewayv2_route.lambda : [route.route_key, route.target]],
      [for integration in aws_apigatewayv2_integration.lambda : integration.integration_uri],
      [aws_apigatewayv2_route.default.target, aws_apigatewayv2_integration.frames.integration_uri],
      sha256(local.gateway_secret),
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_apigatewayv2_route.lambda, aws_apigatewayv2_route.default]
}

resource "aws_apigatewayv2_stage" "main" {
  api_id        = aws_apigatewayv2_api.websocket.id
  name          = local.stage_name
  deployment_id = aws_apigatewayv2_deployment.main.id

  default_route_settings {
    throttling_rate_limit    = var.websocket_throttling_rate_limit
    throttling_burst_limit   = var.websocket_throttling_burst_limit
    logging_level            = "ERROR"
    data_trace_enabled       = false # would log frame bodies: never
    detailed_metrics_enabled = true
  }

  # One JSON line per connect, frame and disconnect; no bodies, no query strings (tickets).
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.apigateway.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      connectionId       = "$context.connectionId"
      eventType          = "$context.eventType"
      routeKey           = "$context.routeKey"
      status             = "$context.status"
      integrationStatus  = "$context.integrationStatus"
      integrationLatency = "$context.integrationLatency"
      requestTime        = "$context.requestTimeEpoch"
      sourceIp           = "$context.identity.sourceIp"
      error              = "$context.error.message"
      integrationError   = "$context.integrationErrorMessage"
    })
  }

  depends_on = [aws_api_gateway_account.main]
}

# Stage logs need an account-wide (per region) role; set it here unless another stack does.
resource "aws_api_gateway_account" "main" {
  count = var.manage_apigateway_account ? 1 : 0

  cloudwatch_role_arn = aws_iam_role.apigateway_logs[0].arn

  depends_on = [aws_iam_role_policy_attachment.apigateway_logs]
}
