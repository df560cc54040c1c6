# The chat service on ECS Fargate in gateway mode: API Gateway holds the sockets, the service
# handles frames and pushes through the @connections management API. A CloudWatch agent
# sidecar scrapes the service's Prometheus endpoint and publishes the autoscaling metric.
resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  server_environment = {
    HOST                   = "0.0.0.0"
    PORT                   = tostring(local.server_port)
    LOG_LEVEL              = var.log_level
    TRUST_PROXY            = "true"
    STORAGE                = "mongodb"
    MONGODB_DB             = local.mongodb_database
    REALTIME               = "gateway"
    GATEWAY_MANAGEMENT_URL = local.management_url
    PUBLIC_WS_URL          = local.public_ws_url
    CONNECTIONS_TABLE      = aws_dynamodb_table.connections.name
    AWS_REGION             = local.region
    NODE_EXTRA_CA_CERTS    = local.server_ca_bundle
  }

  # The custom autoscaling metric: connections per task. The agent scrapes /metrics on
  # localhost every 30 s and writes the chosen series as CloudWatch embedded-metric-format log
  # events; CloudWatch turns them into metrics with ClusterName/ServiceName dimensions, one data
  # point per task, so the Average statistic is the per-task value.
  metrics_scrape_config = {
    global = { scrape_interval = "30s", scrape_timeout = "10s" }
    scrape_configs = [{
      job_name     = "susurro"
      metrics_path = "/metrics"
      static_configs = [{
        targets = ["localhost:${local.server_port}"]
        labels  = { ClusterName = aws_ecs_cluster.main.name, ServiceName = local.service_name }
      }]
    }]
  }

  metrics_agent_config = {
    logs = {
      metrics_collected = {
        prometheus = {
          log_group_name         = aws_cloudwatch_log_group.metrics.name
          prometheus_config_path = "env:PROMETHEUS_CONFIG_CONTENT"
          emf_processor = {
            metric_namespace = local.metrics_namespace
            metric_declaration = [{
              source_labels    = ["job"]
              label_matcher    = "^susurro$"
              dimensions       = [["ClusterName", "ServiceName"]]
              metric_selectors = ["^susurro_ws_connections$", "^susurro_queue_depth$"]
            }]
          }
        }
      }
      force_flush_interval = 5
    }
  }

  service_name = "${local.name}-server"
}

resource "aws_ecs_task_definition" "server" {
  family                   = "${local.name}-server"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.server_cpu
  memory                   = var.server_memory
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name         = "server"
      image        = local.images.server
      essential    = true
      portMappings = [{ containerPort = local.server_port, protocol = "tcp" }]
      environment  = [for name, value in local.server_environment : { name = name, value = value }]
      secrets = [
        { name = "MONGODB_URL", valueFrom = "${aws_secretsmanager_secret.documentdb.arn}:url::" },
        { name = "GATEWAY_SECRET", valueFrom = aws_secretsmanager_secret.gateway.arn },
      ]
      # The same probe as the image's HEALTHCHECK (ECS ignores Dockerfile health checks).
      healthCheck = {
        command     = ["CMD", "node", "/app/healthcheck.mjs"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 20
      }
      # SIGTERM drains in-flight frames (SHUTDOWN_GRACE_MS, 10 s) before sockets close.
      stopTimeout      = 30
      linuxParameters  = { initProcessEnabled = true }
      logConfiguration = local.awslogs_server
    },
    {
      name      = "metrics-agent"
      image     = var.cloudwatch_agent_image
      essential = false
      environment = [
        { name = "CW_CONFIG_CONTENT", value = jsonencode(local.metrics_agent_config) },
        { name = "PROMETHEUS_CONFIG_CONTENT", value = yamlencode(local.metrics_scrape_config) },
      ]
      dependsOn        = [{ containerName = "server", condition = "START" }]
      logConfiguration = local.awslogs_agent
    },
  ])
}

locals {
  awslogs_server = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.server.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "server"
    }
  }
  awslogs_agent = {
    logDriver = "awslogs"
    options = {
      awslogs-group         = aws_cloudwatch_log_group.server.name
      awslogs-region        = local.region
      awslogs-stream-prefix = "metrics-agent"
    }
  }
}

resource "aws_ecs_service" "server" {
  name                              = local.service_name
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.server.arn
  desired_count                     = var.autoscaling_min_tasks
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 30
  propagate_tags                    = "SERVICE"
  # apply waits for the new tasks to be healthy, so a bad release fails the pipeline...
  wait_for_steady_state = true

  # ...and ECS rolls back to the last healthy task definition by itself.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.service.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.api.arn
    container_name   = "server"
    container_port   = local.server_port
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.gateway.arn
    container_name   = "server"
    container_port   = local.server_port
  }

  lifecycle {
    # Autoscaling owns the task count once the service exists.
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https, aws_lb_listener.gateway, aws_iam_role_policy.task]
}
