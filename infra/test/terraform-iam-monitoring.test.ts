/**
 * infra/terraform, least privilege and monitoring: IAM policy documents grant no wildcard
 * actions and name exact resources; every log group has a retention; the alarms cover the edge,
 * the service, the data stores and the queue; the scaling metric's pipeline is wired.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  TERRAFORM_DIR,
  asText as text,
  blockBody,
  loadTerraform,
  nestedBlocks,
  resourcesOfType,
  type Body,
  type TerraformConfig,
} from './terraform-config.ts';

const source = (file: string) => readFileSync(join(TERRAFORM_DIR, file), 'utf8');

let config: TerraformConfig;

beforeAll(async () => {
  config = await loadTerraform();
}, 60_000);

describe('terraform: least-privilege IAM', () => {
  const statements = (name: string) =>
    nestedBlocks(config.data.get(`data.aws_iam_policy_document.${name}`) ?? {}, 'statement');
  const actions = (statement: Body) =>
    Array.isArray(statement.actions) ? (statement.actions as string[]) : [];
  const resources = (statement: Body) => text(statement.resources);

  it('never grants wildcard actions, and "*" resources only where AWS allows nothing narrower', () => {
    const unscopable =
      /^(ecr:GetAuthorizationToken|ec2:[A-Za-z]*NetworkInterfaces?|ec2:(Assign|Unassign)PrivateIpAddresses)$/;
    for (const key of config.data.keys()) {
      if (!key.startsWith('data.aws_iam_policy_document.')) continue;
      for (const statement of nestedBlocks(config.data.get(key) ?? {}, 'statement')) {
        for (const action of actions(statement)) expect(action, key).not.toMatch(/\*/);
        if (resources(statement).includes('"*"')) {
          for (const action of actions(statement))
            expect(action, `${key}: ${action} on *`).toMatch(unscopable);
        }
      }
    }
  });

  it('lets the Lambda functions put, get and delete items of the connections table only', () => {
    const dynamo = statements('lambda').filter((s) =>
      actions(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo.flatMap(actions).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
    expect(dynamo.map(resources)).toEqual(['["${aws_dynamodb_table.connections.arn}"]']);
  });

  it('lets the chat service query the table and its index, and manage connections of this stage only', () => {
    const task = statements('task');
    const dynamo = task.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.flatMap(actions).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
    expect(dynamo.map(resources).join()).toContain('/index/username-index');
    const push = task.filter((s) => actions(s).includes('execute-api:ManageConnections'));
    expect(push.map(resources)).toEqual([
      '["${aws_apigatewayv2_api.websocket.execution_arn}/${local.stage_name}/*/@connections/*"]',
    ]);
  });

  it('lets the task execution role read exactly the two secrets', () => {
    const secrets = statements('task_execution').filter((s) =>
      actions(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(secrets.map(resources)).toEqual([
      '["${aws_secretsmanager_secret.documentdb.arn}","${aws_secretsmanager_secret.gateway.arn}"]',
    ]);
  });
});

describe('terraform: monitoring', () => {
  it('sets a retention on every log group', () => {
    const groups = resourcesOfType(config, 'aws_cloudwatch_log_group');
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const [address, body] of groups)
      expect(body.retention_in_days, address).toBe('${var.log_retention_days}');
  });

  it('alarms on the edge, the service, the data stores and the queue, to one SNS topic', () => {
    const monitoring = source('monitoring.tf');
    const alarmed = new Set(
      [...monitoring.matchAll(/\bmetric(?:_name)?\s*=\s*"([A-Za-z0-9_]+)"/g)].map((m) => m[1]),
    );
    for (const metric of [
      'IntegrationError', // API Gateway WebSocket 4xx/5xx from integrations
      'IntegrationLatency',
      'HTTPCode_Target_5XX_Count',
      'Errors', // Lambda
      'Throttles',
      'ReadThrottleEvents', // DynamoDB
      'WriteThrottleEvents',
      'CPUUtilization', // ECS and DocumentDB
      'MemoryUtilization',
      'DatabaseConnections',
      'susurro_queue_depth',
    ]) {
      expect(alarmed, metric).toContain(metric);
    }
    for (const [address, body] of resourcesOfType(config, 'aws_cloudwatch_metric_alarm')) {
      expect(body.alarm_actions, address).toEqual(['${aws_sns_topic.alarms.arn}']);
    }
    expect(config.resources.has('aws_cloudwatch_dashboard.main')).toBe(true);
  });

  it('publishes the autoscaling metric through the metrics agent sidecar', () => {
    const agent = config.locals.get('metrics_agent_config') as Body;
    const prometheus = blockBody(blockBody(blockBody(agent.logs).metrics_collected).prometheus);
    expect(prometheus.prometheus_config_path).toBe('env:PROMETHEUS_CONFIG_CONTENT');
    const emf = blockBody(prometheus.emf_processor);
    expect(emf.metric_namespace).toBe('${local.metrics_namespace}');
    const declaration = blockBody(emf.metric_declaration);
    expect(declaration.dimensions).toEqual([['ClusterName', 'ServiceName']]);
    const scrape = config.locals.get('metrics_scrape_config') as Body;
    expect(text(scrape)).toContain('localhost:${local.server_port}');
  });
});
