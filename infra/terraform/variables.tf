# Every input of the stack. Secrets and account-specific values go in secret.tfvars
# (git-ignored; see secret.tfvars.example); everything else has a working default.

# --- Naming and placement ----------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region for every resource of the stack."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

variable "project" {
  description = "Name prefix of every resource. Short, because load balancer names stop at 32 characters."
  type        = string
  default     = "susurro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.project))
    error_message = "project must be 2-12 characters of a-z, 0-9 and '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (prod, staging, ...). Also the API Gateway stage name."
  type        = string
  default     = "prod"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2-8 characters of a-z and 0-9, starting with a letter."
  }
}

# --- Network -----------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC; split into one public and one private /20-or-smaller subnet per AZ."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("/([0-9]|1[0-9]|20)$", var.vpc_cidr))
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of /20 or larger."
  }
}

variable "az_count" {
  description = "Availability zones to spread subnets, tasks and DocumentDB instances over."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (load balancers and DocumentDB need at least two AZs)."
  }
}

variable "single_nat_gateway" {
  description = "One NAT gateway for all private subnets: cheaper, but egress stops if its AZ fails."
  type        = bool
  default     = false
}

# --- Images (the "container URLs") -------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the images in this stack's ECR repositories to run (CD passes the git commit SHA)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))
    error_message = "image_tag must be a valid Docker tag."
  }
}

variable "server_image" {
  description = "Full image URI for the chat service, overriding this stack's ECR repository and image_tag."
  type        = string
  default     = null

  validation {
    condition     = var.server_image == null || can(regex("^[^\\s]+[:@][^\\s]+$", var.server_image))
    error_message = "server_image must be an image URI with a tag or digest."
  }
}

variable "on_connect_image" {
  description = "Full image URI for the onConnect Lambda function, overriding ECR repository and image_tag."
  type        = string
  default     = null

  validation {
    condition     = var.on_connect_image == null || can(regex("^[^\\s]+[:@][^\\s]+$", var.on_connect_image))
    error_message = "on_connect_image must be an image URI with a tag or digest."
  }
}

variable "on_disconnect_image" {
  description = "Full image URI for the onDisconnect Lambda function, overriding ECR repository and image_tag."
  type        = string
  default     = null

  validation {
    condition     = var.on_disconnect_image == null || can(regex("^[^\\s]+[:@][^\\s]+$", var.on_disconnect_image))
    error_message = "on_disconnect_image must be an image URI with a tag or digest."
  }
}

variable "ecr_keep_images" {
  description = "Images kept per ECR repository; older ones expire. These are the rollback targets."
  type        = number
  default     = 30

  validation {
    condition     = var.ecr_keep_images >= 5 && var.ecr_keep_images <= 1000
    error_message = "ecr_keep_images must be between 5 and 1000."
  }
}

# --- Public endpoints (the "API Gateway URLs") -------------------------------------------------

variable "certificate_arn" {
  description = "ACM certificate (same region) for the HTTPS API on the load balancer, covering api_domain_name."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "api_domain_name" {
  description = "Host name clients use for the HTTPS API (point it at the alb_dns_name output). Null: the load balancer's own name."
  type        = string
  default     = null

  validation {
    condition     = var.api_domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", var.api_domain_name))
    error_message = "api_domain_name must be a lower-case DNS name such as chat.example.com."
  }
}

variable "public_ws_url" {
  description = "wss:// URL handed to clients with each ticket, when a custom domain fronts the WebSocket API. Null: the stage URL."
  type        = string
  default     = null

  validation {
    condition     = var.public_ws_url == null || can(regex("^wss://[^\\s]+$", var.public_ws_url))
    error_message = "public_ws_url must start with wss://."
  }
}

# --- Secrets -----------------------------------------------------------------------------------

variable "gateway_secret" {
  description = "Shared secret API Gateway sends to the chat service in x-gateway-secret. Null: generated."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.gateway_secret == null || can(regex("^[A-Za-z0-9_-]{32,128}$", var.gateway_secret))
    error_message = "gateway_secret must be 32-128 characters of A-Z, a-z, 0-9, '_' and '-'."
  }
}

variable "documentdb_master_username" {
  description = "DocumentDB master user name."
  type        = string
  default     = "susurro"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{0,62}$", var.documentdb_master_username))
    error_message = "documentdb_master_username must be 1-63 letters and digits, starting with a letter."
  }
}

variable "documentdb_master_password" {
  description = "DocumentDB master password. Null: generated and stored only in Secrets Manager and state."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.documentdb_master_password == null || can(regex("^[^/\"@\\s]{8,100}$", var.documentdb_master_password))
    error_message = "documentdb_master_password must be 8-100 printable characters other than / \" @ and spaces."
  }
}

# --- Chat service (ECS Fargate) ----------------------------------------------------------------

variable "server_cpu" {
  description = "Fargate CPU units per chat-service task (1024 = 1 vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.server_cpu)
    error_message = "server_cpu must be one of 256, 512, 1024, 2048, 4096."
  }
}

variable "server_memory" {
  description = "Memory (MiB) per chat-service task; must be a size Fargate allows for server_cpu."
  type        = number
  default     = 1024

  validation {
    condition     = var.server_memory >= 512 && var.server_memory <= 30720
    error_message = "server_memory must be between 512 and 30720 MiB."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of the chat service and the Lambda functions."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug", "trace", "silent"], var.log_level)
    error_message = "log_level must be one of fatal, error, warn, info, debug, trace, silent."
  }
}

variable "cloudwatch_agent_image" {
  description = "CloudWatch agent sidecar that scrapes /metrics and publishes the scaling metrics."
  type        = string
  default     = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300059.0b1207"

  validation {
    condition     = !endswith(var.cloudwatch_agent_image, ":latest")
    error_message = "Pin the CloudWatch agent image to a version, not :latest."
  }
}

# --- Autoscaling -------------------------------------------------------------------------------

variable "autoscaling_min_tasks" {
  description = "Fewest chat-service tasks; at least 2 keeps the service up through an AZ failure."
  type        = number
  default     = 2

  validation {
    condition     = var.autoscaling_min_tasks >= 1
    error_message = "autoscaling_min_tasks must be at least 1."
  }
}

variable "autoscaling_max_tasks" {
  description = "Most chat-service tasks."
  type        = number
  default     = 10

  validation {
    condition     = var.autoscaling_max_tasks >= var.autoscaling_min_tasks && var.autoscaling_max_tasks <= 500
    error_message = "autoscaling_max_tasks must be between autoscaling_min_tasks and 500."
  }
}

variable "autoscaling_cpu_target" {
  description = "Average CPU utilisation (%) the CPU target-tracking policy holds the service at."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_cpu_target >= 10 && var.autoscaling_cpu_target <= 90
    error_message = "autoscaling_cpu_target must be between 10 and 90."
  }
}

variable "autoscaling_connections_per_task_target" {
  description = "Average susurro_ws_connections per task the connections target-tracking policy holds."
  type        = number
  default     = 5000

  validation {
    condition     = var.autoscaling_connections_per_task_target > 0
    error_message = "autoscaling_connections_per_task_target must be positive."
  }
}

variable "autoscaling_scale_out_cooldown" {
  description = "Seconds after a scale-out before another scale-out counts the new tasks' capacity."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_scale_out_cooldown >= 0 && var.autoscaling_scale_out_cooldown <= 3600
    error_message = "autoscaling_scale_out_cooldown must be between 0 and 3600 seconds."
  }
}

variable "autoscaling_scale_in_cooldown" {
  description = "Seconds between scale-ins; longer than scale-out so load spikes do not flap the service."
  type        = number
  default     = 300

  validation {
    condition     = var.autoscaling_scale_in_cooldown >= 0 && var.autoscaling_scale_in_cooldown <= 3600
    error_message = "autoscaling_scale_in_cooldown must be between 0 and 3600 seconds."
  }
}

# --- WebSocket edge (API Gateway + Lambda) -----------------------------------------------------

variable "websocket_throttling_rate_limit" {
  description = "Steady-state requests per second the WebSocket stage accepts (connects and messages)."
  type        = number
  default     = 1000

  validation {
    condition     = var.websocket_throttling_rate_limit > 0
    error_message = "websocket_throttling_rate_limit must be positive."
  }
}

variable "websocket_throttling_burst_limit" {
  description = "Burst of requests the WebSocket stage accepts above the rate limit."
  type        = number
  default     = 2000

  validation {
    condition     = var.websocket_throttling_burst_limit >= 1
    error_message = "websocket_throttling_burst_limit must be at least 1."
  }
}

variable "lambda_memory_mb" {
  description = "Memory of the onConnect/onDisconnect functions (CPU scales with it)."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_mb >= 128 && var.lambda_memory_mb <= 10240
    error_message = "lambda_memory_mb must be between 128 and 10240."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout of the onConnect/onDisconnect functions; API Gateway gives up on an integration after 29 s."
  type        = number
  default     = 10

  validation {
    condition     = var.lambda_timeout_seconds >= 1 && var.lambda_timeout_seconds <= 29
    error_message = "lambda_timeout_seconds must be between 1 and 29."
  }
}

variable "connection_ttl_seconds" {
  description = "TTL of a connections-table item; API Gateway closes every WebSocket after 2 h (7200 s)."
  type        = number
  default     = 7200

  validation {
    condition     = var.connection_ttl_seconds >= 60 && var.connection_ttl_seconds <= 7200
    error_message = "connection_ttl_seconds must be between 60 and 7200."
  }
}

variable "manage_apigateway_account" {
  description = "Set API Gateway's account-wide CloudWatch Logs role (needed for stage logs). False if another stack owns it."
  type        = bool
  default     = true
}

# --- DocumentDB --------------------------------------------------------------------------------

variable "documentdb_instance_class" {
  description = "DocumentDB instance class."
  type        = string
  default     = "db.t4g.medium"

  validation {
    condition     = startswith(var.documentdb_instance_class, "db.")
    error_message = "documentdb_instance_class must be a DB instance class such as db.r6g.large."
  }
}

variable "documentdb_instance_count" {
  description = "DocumentDB instances: one primary plus replicas (at least 2 for failover)."
  type        = number
  default     = 2

  validation {
    condition     = var.documentdb_instance_count >= 1 && var.documentdb_instance_count <= 16
    error_message = "documentdb_instance_count must be between 1 and 16."
  }
}

variable "documentdb_backup_retention_days" {
  description = "Days of DocumentDB point-in-time backups."
  type        = number
  default     = 7

  validation {
    condition     = var.documentdb_backup_retention_days >= 1 && var.documentdb_backup_retention_days <= 35
    error_message = "documentdb_backup_retention_days must be between 1 and 35."
  }
}

variable "deletion_protection" {
  description = "Protect DocumentDB, the connections table and the load balancer from deletion."
  type        = bool
  default     = true
}

# --- Monitoring --------------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Retention of every CloudWatch log group of the stack."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs supports (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail). Null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "alarm_integration_latency_p99_ms" {
  description = "Alarm when API Gateway's p99 integration latency stays above this many milliseconds."
  type        = number
  default     = 1000

  validation {
    condition     = var.alarm_integration_latency_p99_ms > 0 && var.alarm_integration_latency_p99_ms <= 29000
    error_message = "alarm_integration_latency_p99_ms must be between 1 and 29000."
  }
}

variable "alarm_queue_depth" {
  description = "Alarm when more messages than this wait unacknowledged in DocumentDB (susurro_queue_depth)."
  type        = number
  default     = 100000

  validation {
    condition     = var.alarm_queue_depth > 0
    error_message = "alarm_queue_depth must be positive."
  }
}

variable "alarm_documentdb_connections" {
  description = "Alarm when DocumentDB connections exceed this (size it to the instance class's limit)."
  type        = number
  default     = 400

  validation {
    condition     = var.alarm_documentdb_connections > 0
    error_message = "alarm_documentdb_connections must be positive."
  }
}
