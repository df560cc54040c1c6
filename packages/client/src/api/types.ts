/** The chat service's HTTP and WebSocket wire shapes, as the SDK consumes them (v1). */

export interface LoginResult {
  token: string;
  expiresAt: number;
  username: string;
  deviceId: number;
}

export interface WireSignedPreKey {
  keyId: number;
  /** base64 of Encode(PK), 33 bytes. */
  publicKey: string;
  signature: string;
}

export interface WireOneTimePreKey {
  keyId: number;
  publicKey: string;
}

export interface WireBundleDevice {
  deviceId: number;
  identityKey: string;
  identityKeyUpdatedAt: number;
  signedPreKey: WireSignedPreKey;
  oneTimePreKey?: WireOneTimePreKey;
}

export interface WireEnvelope {
  id: string;
  to: string;
  deviceId: number;
  body: string;
}

export interface QueuedMessage {
  serverId: string;
  id: string;
  from: string;
  fromDevice: number;
  body: string;
  sentAt: number;
}

export type ServerFrame =
  | { v: 1; type: 'sent'; id: string; serverId: string; duplicate: boolean }
  | ({ v: 1; type: 'message' } & QueuedMessage)
  | { v: 1; type: 'queue-empty' }
  | { v: 1; type: 'pong' }
  | { v: 1; type: 'error'; code: string; message: string; id?: string };

export type ClientFrame =
  | ({ v: 1; type: 'send' } & WireEnvelope)
  | { v: 1; type: 'ack'; serverId: string }
  | { v: 1; type: 'ping' };
