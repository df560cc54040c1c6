import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

export interface LocalDynamoDb {
  /** e.g. http://127.0.0.1:8001 — pass as DYNAMODB_ENDPOINT. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * dynalite: a real DynamoDB API implementation (in memory here) for the connections table.
 * It has no TTL sweeping and no transactions; the table code needs neither.
 */
export async function startLocalDynamoDb(host = '127.0.0.1', port = 0): Promise<LocalDynamoDb> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
