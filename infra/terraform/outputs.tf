output "websocket_url" {
  description = "wss:// URL of the WebSocket API (what clients connect to; the chat service hands it out with tickets)."
  value       = local.public_ws_url
}

output "api_url" {
  description = "HTTPS base URL of the chat service API (point clients' --server here)."
  value       = var.api_domain_name == null ? "https://${aws_lb.api.dns_name}" : "https://${var.api_domain_name}"
}

output "alb_dns_name" {
  description = "DNS name of the API load balancer: create a CNAME or alias for api_domain_name to it."
  value       = aws_lb.api.dns_name
}

output "gateway_management_url" {
  description = "API Gateway management endpoint the chat service pushes through (@connections)."
  value       = local.management_url
}

output "ecr_repository_urls" {
  description = "ECR repository URL per image (server, on-connect, on-disconnect)."
  value       = { for key, repository in aws_ecr_repository.this : key => repository.repository_url }
}

output "ecs_cluster_name" {
  description = "ECS cluster of the chat service."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service of the chat service."
  value       = aws_ecs_service.server.name
}

output "connections_table_name" {
  description = "DynamoDB table of live WebSocket connections."
  value       = aws_dynamodb_table.connections.name
}

output "documentdb_endpoint" {
  description = "DocumentDB cluster endpoint (TLS, private subnets only)."
  value       = aws_docdb_cluster.main.endpoint
}

output "documentdb_secret_arn" {
  description = "Secrets Manager secret with the DocumentDB credentials and connection URL."
  value       = aws_secretsmanager_secret.documentdb.arn
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard of the stack."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.main.dashboard_name}"
}

output "server_task_definition_arn" {
  description = "Task definition this configuration deploys (CD checks that it is the one running)."
  value       = aws_ecs_task_definition.server.arn
}
