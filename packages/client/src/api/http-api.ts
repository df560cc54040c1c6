/**
 * The chat service's HTTP API over `fetch` (isomorphic). Server errors surface as ClientError
 * with the server's stable code (`source: 'server'`); unreachable servers as NETWORK_ERROR.
 */
import { ClientError } from '../errors.ts';
import type {
  LoginResult,
  QueuedMessage,
  WireBundleDevice,
  WireEnvelope,
  WireOneTimePreKey,
  WireSignedPreKey,
} from './types.ts';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export class HttpApi {
  /** Bearer token for authenticated calls; set after login. */
  token: string | undefined;

  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike = (input, init) => globalThis.fetch(input, init),
  ) {}

  register(username: string, password: string): Promise<{ username: string }> {
    return this.request('POST', '/v1/accounts', { username, password }, false);
  }

  login(username: string, password: string, deviceId?: number): Promise<LoginResult> {
    return this.request(
      'POST',
      '/v1/sessions',
      { username, password, ...(deviceId === undefined ? {} : { deviceId }) },
      false,
    );
  }

  logout(): Promise<void> {
    return this.request('DELETE', '/v1/sessions/current');
  }

  uploadKeys(body: {
    identityKey: string;
    signedPreKey: WireSignedPreKey;
    oneTimePreKeys?: WireOneTimePreKey[];
  }): Promise<{ identityKeyChanged: boolean; oneTimePreKeyCount: number }> {
    return this.request('PUT', '/v1/keys', body);
  }

  addOneTimePreKeys(oneTimePreKeys: WireOneTimePreKey[]): Promise<{ oneTimePreKeyCount: number }> {
    return this.request('POST', '/v1/keys/one-time', { oneTimePreKeys });
  }

  async oneTimePreKeyCount(): Promise<number> {
    return (await this.request<{ oneTimePreKeyCount: number }>('GET', '/v1/keys/one-time/count'))
      .oneTimePreKeyCount;
  }

  async bundles(username: string, deviceId?: number): Promise<WireBundleDevice[]> {
    const query = deviceId === undefined ? '' : `?deviceId=${deviceId}`;
    const res = await this.request<{ devices: WireBundleDevice[] }>(
      'GET',
      `/v1/users/${encodeURIComponent(username)}/bundle${query}`,
    );
    return res.devices;
  }

  /** Identity keys per device, without consuming a prekey. */
  async identities(username: string): Promise<Array<{ deviceId: number; identityKey: string }>> {
    const res = await this.request<{ devices: Array<{ deviceId: number; identityKey: string }> }>(
      'GET',
      `/v1/users/${encodeURIComponent(username)}/identity`,
    );
    return res.devices;
  }

  wsTicket(): Promise<{ ticket: string; expiresAt: number; path: string }> {
    return this.request('POST', '/v1/ws-ticket', {});
  }

  send(envelope: WireEnvelope): Promise<{ id: string; serverId: string; duplicate: boolean }> {
    return this.request('POST', '/v1/messages', envelope);
  }

  async pending(after?: string): Promise<QueuedMessage[]> {
    const query = after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
    return (await this.request<{ messages: QueuedMessage[] }>('GET', `/v1/messages${query}`))
      .messages;
  }

  ack(serverId: string): Promise<void> {
    return this.request('DELETE', `/v1/messages/${encodeURIComponent(serverId)}`);
  }

  private async request<T>(method: string, path: string, body?: unknown, auth = true): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      if (!this.token) throw new ClientError('NOT_LOGGED_IN', 'log in first');
      headers.authorization = `Bearer ${this.token}`;
    }
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(path, this.baseUrl).toString(), {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (cause) {
      throw new ClientError('NETWORK_ERROR', `cannot reach the server at ${this.baseUrl}`, {
        cause,
      });
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch (cause) {
      throw new ClientError(
        'NETWORK_ERROR',
        `the server answered ${res.status} with a non-JSON body`,
        { cause },
      );
    }
    if (!res.ok) {
      const { code, message } = (json ?? {}) as { code?: string; message?: string };
      throw new ClientError(
        code ?? `HTTP_${res.status}`,
        message ?? `the server answered ${res.status}`,
        {
          source: 'server',
          status: res.status,
        },
      );
    }
    return json as T;
  }
}
