# Logs with retention, alarms to one SNS topic, and a dashboard.

resource "aws_cloudwatch_log_group" "server" {
  name              = "/ecs/${local.name}/server"
  retention_in_days = var.log_retention_days
}

# Embedded-metric-format events written by the metrics agent (the custom metrics' source).
resource "aws_cloudwatch_log_group" "metrics" {
  name              = "/ecs/${local.name}/prometheus"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "apigateway" {
  name              = "/aws/apigateway/${local.name}-ws/access"
  retention_in_days = var.log_retention_days
}

resource "aws_sns_topic" "alarms" {
  name = "${local.name}-alarms"
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  websocket_dimensions = { ApiId = aws_apigatewayv2_api.websocket.id, Stage = local.stage_name }
  service_dimensions   = { ClusterName = aws_ecs_cluster.main.name, ServiceName = aws_ecs_service.server.name }
  documentdb_dimension = { DBClusterIdentifier = aws_docdb_cluster.main.cluster_identifier }

  # One entry per single-metric alarm; every entry has the same fields so the map is uniform.
  metric_alarms = merge(
    {
      # WebSocket APIs have no 5XXError metric: a 4xx/5xx answer from the chat service or a
      # Lambda is an IntegrationError, a failure to call it at all an ExecutionError.
      websocket-integration-errors = {
        namespace          = "AWS/ApiGateway"
        metric             = "IntegrationError"
        dimensions         = local.websocket_dimensions
        statistic          = "Sum"
        extended_statistic = null
        threshold          = 10
        periods            = 3
        description        = "API Gateway WebSocket: the chat service or a Lambda answered 4xx/5xx"
      }
      websocket-execution-errors = {
        namespace          = "AWS/ApiGateway"
        metric             = "ExecutionError"
        dimensions         = local.websocket_dimensions
        statistic          = "Sum"
        extended_statistic = null
        threshold          = 5
        periods            = 3
        description        = "API Gateway WebSocket: integrations could not be called"
      }
      websocket-integration-latency = {
        namespace          = "AWS/ApiGateway"
        metric             = "IntegrationLatency"
        dimensions         = local.websocket_dimensions
        statistic          = null
        extended_statistic = "p99"
        threshold          = var.alarm_integration_latency_p99_ms
        periods            = 5
        description        = "API Gateway WebSocket: p99 integration latency above ${var.alarm_integration_latency_p99_ms} ms"
      }
      api-target-5xx = {
        namespace          = "AWS/ApplicationELB"
        metric             = "HTTPCode_Target_5XX_Count"
        dimensions         = { LoadBalancer = aws_lb.api.arn_suffix }
        statistic          = "Sum"
        extended_statistic = null
        threshold          = 10
        periods            = 3
        description        = "HTTPS API: the chat service answered 5xx"
      }
      api-elb-5xx = {
        namespace          = "AWS/ApplicationELB"
        metric             = "HTTPCode_ELB_5XX_Count"
        dimensions         = { LoadBalancer = aws_lb.api.arn_suffix }
        statistic          = "Sum"
        extended_statistic = null
        threshold          = 10
        periods            = 3
        description        = "HTTPS API: the load balancer answered 5xx (no healthy task?)"
      }
      service-cpu = {
        namespace          = "AWS/ECS"
        metric             = "CPUUtilization"
        dimensions         = local.service_dimensions
        statistic          = "Average"
        extended_statistic = null
        threshold          = 85
        periods            = 5
        description        = "Chat service CPU above 85% (autoscaling at its maximum?)"
      }
      service-memory = {
        namespace          = "AWS/ECS"
        metric             = "MemoryUtilization"
        dimensions         = local.service_dimensions
        statistic          = "Average"
        extended_statistic = null
        threshold          = 85
        periods            = 5
        description        = "Chat service memory above 85%"
      }
      documentdb-cpu = {
        namespace          = "AWS/DocDB"
        metric             = "CPUUtilization"
        dimensions         = local.documentdb_dimension
        statistic          = "Average"
        extended_statistic = null
        threshold          = 80
        periods            = 5
        description        = "DocumentDB CPU above 80%"
      }
      documentdb-connections = {
        namespace          = "AWS/DocDB"
        metric             = "DatabaseConnections"
        dimensions         = local.documentdb_dimension
        statistic          = "Maximum"
        extended_statistic = null
        threshold          = var.alarm_documentdb_connections
        periods            = 3
        description        = "DocumentDB connections above ${var.alarm_documentdb_connections}"
      }
      # Every task reports the same global depth, so Maximum is the depth itself.
      message-queue-depth = {
        namespace          = local.metrics_namespace
        metric             = "susurro_queue_depth"
        dimensions         = local.service_dimensions
        statistic          = "Maximum"
        extended_statistic = null
        threshold          = var.alarm_queue_depth
        periods            = 6
        description        = "More than ${var.alarm_queue_depth} messages wait unacknowledged"
      }
    },
    merge([
      for fn, _ in local.edge_functions : {
        "lambda-${fn}-errors" = {
          namespace          = "AWS/Lambda"
          metric             = "Errors"
          dimensions         = { FunctionName = aws_lambda_function.edge[fn].function_name }
          statistic          = "Sum"
          extended_statistic = null
          threshold          = 5
          periods            = 3
          description        = "Lambda ${fn}: invocations failed"
        }
        "lambda-${fn}-throttles" = {
          namespace          = "AWS/Lambda"
          metric             = "Throttles"
          dimensions         = { FunctionName = aws_lambda_function.edge[fn].function_name }
          statistic          = "Sum"
          extended_statistic = null
          threshold          = 1
          periods            = 3
          description        = "Lambda ${fn}: invocations throttled (account concurrency?)"
        }
      }
    ]...),
  )
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${local.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended_statistic
  period              = 60
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

# On-demand tables still throttle (per-partition limits, sudden 2x jumps): alarm on the sum of
# read and write throttle events, table and index.
resource "aws_cloudwatch_metric_alarm" "dynamodb_throttles" {
  alarm_name          = "${local.name}-dynamodb-throttles"
  alarm_description   = "DynamoDB connections table: requests throttled"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "throttles"
    expression  = "reads + writes"
    label       = "Throttle events"
    return_data = true
  }

  metric_query {
    id = "reads"

    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.connections.name }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "writes"

    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      dimensions  = { TableName = aws_dynamodb_table.connections.name }
      period      = 60
      stat        = "Sum"
    }
  }
}

locals {
  dashboard_widgets = [
    {
      title   = "WebSocket connects and messages"
      metrics = [["AWS/ApiGateway", "ConnectCount", "ApiId", aws_apigatewayv2_api.websocket.id, "Stage", local.stage_name], [".", "MessageCount", ".", ".", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "WebSocket errors"
      metrics = [["AWS/ApiGateway", "IntegrationError", "ApiId", aws_apigatewayv2_api.websocket.id, "Stage", local.stage_name], [".", "ExecutionError", ".", ".", ".", "."], [".", "ClientError", ".", ".", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "WebSocket integration latency p99 (ms)"
      metrics = [["AWS/ApiGateway", "IntegrationLatency", "ApiId", aws_apigatewayv2_api.websocket.id, "Stage", local.stage_name]]
      stat    = "p99"
    },
    {
      title   = "HTTPS API requests and 5xx"
      metrics = [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", aws_lb.api.arn_suffix], [".", "HTTPCode_Target_5XX_Count", ".", "."], [".", "HTTPCode_ELB_5XX_Count", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "Chat service CPU and memory (%)"
      metrics = [["AWS/ECS", "CPUUtilization", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.server.name], [".", "MemoryUtilization", ".", ".", ".", "."]]
      stat    = "Average"
    },
    {
      title   = "Connections per task (scaling metric) and running tasks"
      metrics = [[local.metrics_namespace, "susurro_ws_connections", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.server.name], ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.server.name, { stat = "Maximum" }]]
      stat    = "Average"
    },
    {
      title   = "Message queue depth"
      metrics = [[local.metrics_namespace, "susurro_queue_depth", "ClusterName", aws_ecs_cluster.main.name, "ServiceName", aws_ecs_service.server.name]]
      stat    = "Maximum"
    },
    {
      title = "Lambda invocations, errors, throttles"
      # One level only: each function contributes three metric arrays.
      metrics = concat([for fn in aws_lambda_function.edge : [["AWS/Lambda", "Invocations", "FunctionName", fn.function_name], [".", "Errors", ".", "."], [".", "Throttles", ".", "."]]]...)
      stat    = "Sum"
    },
    {
      title   = "DynamoDB connections table"
      metrics = [["AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName", aws_dynamodb_table.connections.name], [".", "ConsumedWriteCapacityUnits", ".", "."], [".", "ReadThrottleEvents", ".", "."], [".", "WriteThrottleEvents", ".", "."]]
      stat    = "Sum"
    },
    {
      title   = "DocumentDB CPU (%) and connections"
      metrics = [["AWS/DocDB", "CPUUtilization", "DBClusterIdentifier", aws_docdb_cluster.main.cluster_identifier], [".", "DatabaseConnections", ".", ".", { yAxis = "right" }]]
      stat    = "Average"
    },
  ]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = [
      for index, widget in local.dashboard_widgets : {
        type   = "metric"
        x      = (index % 2) * 12
        y      = floor(index / 2) * 6
        width  = 12
        height = 6
        properties = {
          title   = widget.title
          metrics = widget.metrics
          stat    = widget.stat
          period  = 60
          region  = local.region
          view    = "timeSeries"
        }
      }
    ]
  })
}
