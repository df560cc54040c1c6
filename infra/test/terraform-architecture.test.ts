/**
 * infra/terraform, the serverless architecture: the resources the issue asks for are there with
 * the settings that matter — VPC and security groups, immutable ECR repositories, the
 * WebSocket API's routes and VPC-link integration, the stage's throttling and logs, the ALB,
 * ECS in gateway mode with secrets from Secrets Manager, the DynamoDB table schema,
 * DocumentDB with TLS, and autoscaling on CPU and on connections per task.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asText as text,
  blockBody,
  loadTerraform,
  nestedBlocks,
  resource,
  resourcesOfType,
  valuesAcrossForEach,
  type Body,
  type TerraformConfig,
} from './terraform-config.ts';

const REPO_ROOT = new URL('../../', import.meta.url).pathname;

let config: TerraformConfig;

beforeAll(async () => {
  config = await loadTerraform();
}, 60_000);

describe('terraform: the serverless architecture', () => {
  it('builds a VPC with public and private subnets, NAT and security groups', () => {
    expect(resourcesOfType(config, 'aws_vpc')).toHaveLength(1);
    expect(config.resources.has('aws_subnet.public')).toBe(true);
    expect(config.resources.has('aws_subnet.private')).toBe(true);
    expect(config.resources.has('aws_nat_gateway.main')).toBe(true);
    expect(
      resourcesOfType(config, 'aws_security_group')
        .map(([a]) => a)
        .sort(),
    ).toEqual([
      'aws_security_group.alb',
      'aws_security_group.documentdb',
      'aws_security_group.lambda',
      'aws_security_group.service',
    ]);
    // DocumentDB accepts the chat service and the Lambda functions, nobody else.
    const documentdbIngress = resourcesOfType(config, 'aws_vpc_security_group_ingress_rule').filter(
      ([, body]) => text(body.security_group_id).includes('aws_security_group.documentdb'),
    );
    expect(
      documentdbIngress.map(([, body]) => text(body.referenced_security_group_id)).sort(),
    ).toEqual(['${aws_security_group.lambda.id}', '${aws_security_group.service.id}']);
    expect(documentdbIngress.every(([, body]) => body.cidr_ipv4 === undefined)).toBe(true);
  });

  it('has one immutable ECR repository per image, scanned on push', () => {
    const repo = resource(config, 'aws_ecr_repository.this');
    expect(repo.image_tag_mutability).toBe('IMMUTABLE');
    expect(blockBody(repo.image_scanning_configuration).scan_on_push).toBe(true);
    expect(Object.keys(config.locals.get('images') as Body).sort()).toEqual([
      'on-connect',
      'on-disconnect',
      'server',
    ]);
    expect(text(config.locals.get('repositories'))).toMatch(
      /"server", "on-connect", "on-disconnect"/,
    );
  });

  it('routes $connect/$disconnect to Lambda images and $default to the chat service via VPC link', () => {
    const api = resource(config, 'aws_apigatewayv2_api.websocket');
    expect(api.protocol_type).toBe('WEBSOCKET');

    const lambdaRoutes = resource(config, 'aws_apigatewayv2_route.lambda');
    expect(valuesAcrossForEach(config, lambdaRoutes, 'route_key').sort()).toEqual([
      '$connect',
      '$disconnect',
    ]);
    expect(resource(config, 'aws_apigatewayv2_integration.lambda').integration_type).toBe(
      'AWS_PROXY',
    );
    const fn = resource(config, 'aws_lambda_function.edge');
    expect(fn.package_type).toBe('Image');
    expect(text(fn.for_each)).toBe(text(lambdaRoutes.for_each));

    expect(resource(config, 'aws_apigatewayv2_route.default').route_key).toBe('$default');
    const frames = resource(config, 'aws_apigatewayv2_integration.frames');
    expect(frames).toMatchObject({
      integration_type: 'HTTP_PROXY',
      integration_method: 'POST',
      connection_type: 'VPC_LINK',
    });
    expect(text(frames.connection_id)).toContain('aws_api_gateway_vpc_link.chat');
    expect(text(frames.integration_uri)).toMatch(
      /^http:\/\/\$\{aws_lb\.gateway\.dns_name\}\/v1\/gateway\/frames$/,
    );
    expect(frames.request_parameters).toEqual({
      'integration.request.header.x-connection-id': 'context.connectionId',
      'integration.request.header.x-gateway-secret': "'${local.gateway_secret}'",
    });
    expect(resource(config, 'aws_lb.gateway')).toMatchObject({
      load_balancer_type: 'network',
      internal: true,
    });
    expect(text(resource(config, 'aws_api_gateway_vpc_link.chat').target_arns)).toContain(
      'aws_lb.gateway.arn',
    );
  });

  it('gives the stage throttling and JSON access logs without bodies', () => {
    const stage = resource(config, 'aws_apigatewayv2_stage.main');
    const route = blockBody(stage.default_route_settings);
    expect(route.throttling_rate_limit).toBe('${var.websocket_throttling_rate_limit}');
    expect(route.throttling_burst_limit).toBe('${var.websocket_throttling_burst_limit}');
    expect(route.data_trace_enabled).toBe(false);
    const logs = blockBody(stage.access_log_settings);
    expect(logs.destination_arn).toBe('${aws_cloudwatch_log_group.apigateway.arn}');
    expect(text(logs.format)).toContain('$context.connectionId');
    // WebSocket stages do not auto-deploy: a deployment must follow route changes.
    expect(text(resource(config, 'aws_apigatewayv2_deployment.main').triggers)).toContain(
      'aws_apigatewayv2_route',
    );
  });

  it('serves the HTTPS API through an ALB with TLS 1.2+, HTTP redirected, /metrics not exposed', () => {
    expect(resource(config, 'aws_lb.api')).toMatchObject({
      load_balancer_type: 'application',
      internal: false,
    });
    const https = resource(config, 'aws_lb_listener.https');
    expect(https).toMatchObject({ protocol: 'HTTPS', port: 443 });
    expect(text(https.ssl_policy)).toMatch(/TLS13-1-2/);
    expect(blockBody(resource(config, 'aws_lb_listener.http_redirect').default_action).type).toBe(
      'redirect',
    );
    const blocked = blockBody(
      blockBody(resource(config, 'aws_lb_listener_rule.internal_only').condition).path_pattern,
    );
    expect(blocked.values).toEqual(expect.arrayContaining(['/metrics', '/v1/gateway/*']));
    expect(blockBody(resource(config, 'aws_lb_target_group.api').health_check).path).toBe(
      '/readyz',
    );
  });

  it('runs the chat service on Fargate in gateway mode, behind both load balancers', () => {
    const service = resource(config, 'aws_ecs_service.server');
    expect(service.launch_type).toBe('FARGATE');
    expect(
      nestedBlocks(service, 'load_balancer')
        .map((lb) => text(lb.target_group_arn))
        .sort(),
    ).toEqual(['${aws_lb_target_group.api.arn}', '${aws_lb_target_group.gateway.arn}']);
    expect(blockBody(service.deployment_circuit_breaker)).toEqual({ enable: true, rollback: true });
    const env = config.locals.get('server_environment') as Body;
    expect(env).toMatchObject({
      REALTIME: 'gateway',
      STORAGE: 'mongodb',
      HOST: '0.0.0.0',
      TRUST_PROXY: 'true',
    });
    for (const name of [
      'GATEWAY_MANAGEMENT_URL',
      'PUBLIC_WS_URL',
      'CONNECTIONS_TABLE',
      'AWS_REGION',
      'MONGODB_DB',
    ]) {
      expect(env, name).toHaveProperty(name);
    }
    // Secrets come from Secrets Manager at task start, never as plain environment values.
    const containers = text(
      resource(config, 'aws_ecs_task_definition.server').container_definitions,
    );
    expect(containers).toMatch(
      /name = "MONGODB_URL", valueFrom = "\$\{aws_secretsmanager_secret\.documentdb\.arn\}:url::"/,
    );
    expect(containers).toMatch(
      /name = "GATEWAY_SECRET", valueFrom = aws_secretsmanager_secret\.gateway\.arn/,
    );
    expect(env).not.toHaveProperty('MONGODB_URL');
    expect(env).not.toHaveProperty('GATEWAY_SECRET');
  });

  it('sets only environment variables the chat service and the Lambda functions read', () => {
    const read = (file: string) =>
      new Set(
        [
          ...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(
            /(?:'|env\.)([A-Z][A-Z0-9_]{2,})\b/g,
          ),
        ].map((m) => m[1]),
      );
    const server = read('packages/server/src/config.ts');
    const lambda = new Set([...server, ...read('packages/server/src/gateway/lambda-env.ts')]);
    // Read by Node.js itself (the DocumentDB CA bundle).
    const runtime = new Set(['NODE_EXTRA_CA_CERTS']);
    const serverEnv = Object.keys(config.locals.get('server_environment') as Body);
    expect(serverEnv.filter((name) => !server.has(name) && !runtime.has(name))).toEqual([]);
    const fnEnv = Object.keys(
      blockBody(blockBody(resource(config, 'aws_lambda_function.edge').environment).variables),
    );
    expect(fnEnv).toEqual(
      expect.arrayContaining([
        'CONNECTIONS_TABLE',
        'STORAGE',
        'MONGODB_URL',
        'CONNECTION_TTL_SECONDS',
      ]),
    );
    expect(fnEnv.filter((name) => !lambda.has(name) && !runtime.has(name))).toEqual([]);
  });

  it('keeps connections in DynamoDB: connectionId key, username index, TTL, PITR, on demand', () => {
    const table = resource(config, 'aws_dynamodb_table.connections');
    expect(table).toMatchObject({ billing_mode: 'PAY_PER_REQUEST', hash_key: 'connectionId' });
    expect(nestedBlocks(table, 'attribute')).toEqual(
      expect.arrayContaining([
        { name: 'connectionId', type: 'S' },
        { name: 'username', type: 'S' },
        { name: 'deviceId', type: 'N' },
      ]),
    );
    expect(blockBody(table.global_secondary_index)).toMatchObject({
      name: 'username-index',
      hash_key: 'username',
      range_key: 'deviceId',
    });
    expect(blockBody(table.ttl)).toEqual({ attribute_name: 'expiresAt', enabled: true });
    expect(blockBody(table.point_in_time_recovery)).toEqual({ enabled: true });
  });

  it('runs DocumentDB encrypted with TLS required, secrets in Secrets Manager', () => {
    const cluster = resource(config, 'aws_docdb_cluster.main');
    expect(cluster).toMatchObject({ storage_encrypted: true, skip_final_snapshot: false });
    const parameters = nestedBlocks(
      resource(config, 'aws_docdb_cluster_parameter_group.main'),
      'parameter',
    );
    expect(parameters).toContainEqual({ name: 'tls', value: 'enabled' });
    expect(text(config.locals.get('mongodb_url'))).toContain('tls=true');
    expect(config.resources.has('aws_secretsmanager_secret.documentdb')).toBe(true);
    expect(config.resources.has('aws_secretsmanager_secret.gateway')).toBe(true);
  });

  it('autoscales on CPU and on connections per task, bounds and cooldowns from variables', () => {
    const target = resource(config, 'aws_appautoscaling_target.server');
    expect(target).toMatchObject({
      min_capacity: '${var.autoscaling_min_tasks}',
      max_capacity: '${var.autoscaling_max_tasks}',
    });
    const policies = resourcesOfType(config, 'aws_appautoscaling_policy').map(([, body]) => body);
    expect(policies).toHaveLength(2);
    const configs = policies.map((p) => blockBody(p.target_tracking_scaling_policy_configuration));
    for (const c of configs) {
      expect(c.scale_in_cooldown).toBe('${var.autoscaling_scale_in_cooldown}');
      expect(c.scale_out_cooldown).toBe('${var.autoscaling_scale_out_cooldown}');
    }
    expect(
      configs.map((c) => blockBody(c.predefined_metric_specification).predefined_metric_type),
    ).toContain('ECSServiceAverageCPUUtilization');
    const custom = configs
      .map((c) => blockBody(c.customized_metric_specification))
      .find((m) => m.metric_name);
    expect(custom).toMatchObject({ metric_name: 'susurro_ws_connections', statistic: 'Average' });
    expect(custom?.namespace).toBe('${local.metrics_namespace}');
  });
});
