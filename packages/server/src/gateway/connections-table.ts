import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Principal } from '../principal.ts';
import { localAwsCredentials } from './local-aws.ts';

/** API Gateway closes every WebSocket after 2 hours; a record never outlives its socket. */
export const MAX_CONNECTION_TTL_SECONDS = 2 * 60 * 60;
export const USERNAME_INDEX = 'username-index';

/** One item of the `connections` table (epoch seconds in `expiresAt`: DynamoDB TTL's unit). */
export interface ConnectionRecord extends Principal {
  readonly connectionId: string;
  readonly connectedAt: number;
  readonly expiresAt: number;
}

export interface ConnectionsTableOptions {
  readonly tableName: string;
  readonly region: string;
  /** A local DynamoDB (dynalite); AWS's regional endpoint when absent. */
  readonly endpoint?: string | undefined;
  readonly ttlSeconds?: number;
}

/**
 * The `connections` table of the serverless edge: which API Gateway connection belongs to which
 * device. `onConnect` writes, `onDisconnect` and stale-connection cleanup delete, the chat
 * service reads. Reads by connectionId are strongly consistent; reads through the `username`
 * index are eventually consistent (GSIs offer nothing else), so a just-made connection may be
 * missing from them — its queue is then delivered on its first frame instead. TTL deletion runs
 * up to days late, so every read drops expired items itself.
 */
export class ConnectionsTable {
  readonly tableName: string;
  readonly #client: DynamoDBClient;
  readonly #docs: DynamoDBDocumentClient;
  readonly #ttlSeconds: number;

  constructor(options: ConnectionsTableOptions) {
    this.tableName = options.tableName;
    this.#ttlSeconds = Math.min(
      options.ttlSeconds ?? MAX_CONNECTION_TTL_SECONDS,
      MAX_CONNECTION_TTL_SECONDS,
    );
    this.#client = new DynamoDBClient({
      region: options.region,
      ...(options.endpoint !== undefined && { endpoint: options.endpoint }),
      ...localAwsCredentials(options.endpoint),
    });
    this.#docs = DynamoDBDocumentClient.from(this.#client);
  }

  async put(connectionId: string, principal: Principal, nowMs: number): Promise<ConnectionRecord> {
    const record: ConnectionRecord = {
      connectionId,
      accountId: principal.accountId,
      username: principal.username,
      deviceId: principal.deviceId,
      connectedAt: nowMs,
      expiresAt: Math.floor(nowMs / 1000) + this.#ttlSeconds,
    };
    await this.#docs.send(new PutCommand({ TableName: this.tableName, Item: record }));
    return record;
  }

  /** The live record of one connection (consistent read), or undefined if gone or expired. */
  async get(connectionId: string, nowMs: number): Promise<ConnectionRecord | undefined> {
    const { Item } = await this.#docs.send(
      new GetCommand({ TableName: this.tableName, Key: { connectionId }, ConsistentRead: true }),
    );
    const record = toRecord(Item);
    return record !== undefined && isLive(record, nowMs) ? record : undefined;
  }

  /** Idempotent: deleting a missing connection is not an error. */
  async delete(connectionId: string): Promise<void> {
    await this.#docs.send(new DeleteCommand({ TableName: this.tableName, Key: { connectionId } }));
  }

  /** A device's live connections, newest first (eventually consistent). */
  async findByDevice(
    username: string,
    deviceId: number,
    nowMs: number,
  ): Promise<ConnectionRecord[]> {
    const { Items = [] } = await this.#docs.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: USERNAME_INDEX,
        KeyConditionExpression: 'username = :u AND deviceId = :d',
        ExpressionAttributeValues: { ':u': username, ':d': deviceId },
      }),
    );
    return Items.map(toRecord)
      .filter((r): r is ConnectionRecord => r !== undefined && isLive(r, nowMs))
      .sort((a, b) => b.connectedAt - a.connectedAt);
  }

  /**
   * Creates the table as Terraform does (infra/terraform/dynamodb.tf) when it does not exist:
   * for local runs against dynalite. In AWS the table is Terraform's, never created here.
   */
  async ensureTable(): Promise<void> {
    try {
      await this.#client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return;
    } catch (e) {
      if (!(e instanceof ResourceNotFoundException)) throw e;
    }
    await this.#client.send(
      new CreateTableCommand({
        TableName: this.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'connectionId', AttributeType: 'S' },
          { AttributeName: 'username', AttributeType: 'S' },
          { AttributeName: 'deviceId', AttributeType: 'N' },
        ],
        KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: USERNAME_INDEX,
            KeySchema: [
              { AttributeName: 'username', KeyType: 'HASH' },
              { AttributeName: 'deviceId', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    try {
      await this.#client.send(
        new UpdateTimeToLiveCommand({
          TableName: this.tableName,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      );
    } catch {
      // dynalite has no TTL API; expired items are filtered on every read anyway.
    }
  }

  close(): void {
    this.#client.destroy();
  }
}

function isLive(record: ConnectionRecord, nowMs: number): boolean {
  return record.expiresAt * 1000 > nowMs;
}

function toRecord(item: Record<string, unknown> | undefined): ConnectionRecord | undefined {
  if (item === undefined) return undefined;
  const { connectionId, accountId, username, deviceId, connectedAt, expiresAt } = item;
  if (
    typeof connectionId !== 'string' ||
    typeof accountId !== 'string' ||
    typeof username !== 'string' ||
    typeof deviceId !== 'number' ||
    typeof connectedAt !== 'number' ||
    typeof expiresAt !== 'number'
  ) {
    return undefined;
  }
  return { connectionId, accountId, username, deviceId, connectedAt, expiresAt };
}
