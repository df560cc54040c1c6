/**
 * WebSocket frames, version 1: JSON text `{ "v": 1, "type": …, … }`. Parsing order gives the
 * most useful code: BAD_JSON, then UNSUPPORTED_VERSION, then UNKNOWN_FRAME, then
 * VALIDATION_FAILED against the frame type's schema.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { ServerError } from '../errors.ts';
import { MAX_FRAME_BYTES } from '../limits.ts';
import { envelopeProperties } from '../schemas.ts';

export const FRAME_VERSION = 1;

export interface SendFrame {
  readonly v: 1;
  readonly type: 'send';
  readonly id: string;
  readonly to: string;
  readonly deviceId: number;
  readonly body: string;
}
export interface AckFrame {
  readonly v: 1;
  readonly type: 'ack';
  readonly serverId: string;
}
export interface PingFrame {
  readonly v: 1;
  readonly type: 'ping';
}
export type ClientFrame = SendFrame | AckFrame | PingFrame;

/** Server → client. `id` on `sent`/`error` echoes the client's message id. */
export type ServerFrame =
  | { v: 1; type: 'sent'; id: string; serverId: string; duplicate: boolean }
  | {
      v: 1;
      type: 'message';
      serverId: string;
      id: string;
      from: string;
      fromDevice: number;
      body: string;
      sentAt: number;
    }
  | { v: 1; type: 'queue-empty' }
  | { v: 1; type: 'pong' }
  | { v: 1; type: 'error'; code: string; message: string; id?: string };

const frame = (type: string, properties: object, required: string[]) => ({
  type: 'object',
  required: ['v', 'type', ...required],
  additionalProperties: false,
  properties: { v: { const: FRAME_VERSION }, type: { const: type }, ...properties },
});

export const CLIENT_FRAME_SCHEMAS = {
  send: frame('send', envelopeProperties, ['id', 'to', 'deviceId', 'body']),
  ack: frame('ack', { serverId: { type: 'string', minLength: 1, maxLength: 64 } }, ['serverId']),
  ping: frame('ping', {}, []),
} as const;

type FrameType = keyof typeof CLIENT_FRAME_SCHEMAS;

const ajv = new Ajv({ allErrors: false, strict: true });
const validators = new Map<string, ValidateFunction>(
  Object.entries(CLIENT_FRAME_SCHEMAS).map(([type, schema]) => [type, ajv.compile(schema)]),
);

/** Best-effort client id of a (possibly invalid) frame, to correlate the error frame. */
export function frameId(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
}

/**
 * The `ack` frame exactly as clients write it (`JSON.stringify` of `{ v, type, serverId }`):
 * half of all frames under load. Such a text is a JSON object the ack schema accepts, as long
 * as the server id between the quotes needs no escaping (printable ASCII but `"` and `\`,
 * 1–64 characters), so it is taken without JSON.parse and Ajv (together ~5 % of the server's
 * core at 10k msg/s, over all frames: packages/server/README.md, round 10). Any other
 * spelling (key order, spaces, escapes) takes the general path, with the same result.
 */
const ACK_HEAD = '{"v":1,"type":"ack","serverId":"';
const ACK_TAIL = '"}';
const PLAIN_SERVER_ID = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;

function plainAck(text: string): AckFrame | undefined {
  if (!text.startsWith(ACK_HEAD) || !text.endsWith(ACK_TAIL)) return undefined;
  const serverId = text.slice(ACK_HEAD.length, text.length - ACK_TAIL.length);
  return PLAIN_SERVER_ID.test(serverId) ? { v: 1, type: 'ack', serverId } : undefined;
}

export function parseClientFrame(text: string): ParsedFrame {
  const ack = plainAck(text);
  return ack === undefined ? parseFrameJson(text) : { frame: ack };
}

export interface ParsedFrame {
  frame?: ClientFrame;
  id?: string;
  error?: ServerError;
}

/** `parseClientFrame` for any spelling: JSON.parse, then the frame type's schema. */
export function parseFrameJson(text: string): ParsedFrame {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most frames skip the byte count.
  if (text.length * 3 > MAX_FRAME_BYTES && Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES) {
    return {
      error: new ServerError('PAYLOAD_TOO_LARGE', `Frames are at most ${MAX_FRAME_BYTES} bytes.`),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: new ServerError('BAD_JSON', 'The frame is not valid JSON.') };
  }
  const id = frameId(value);
  const withId = (error: ServerError) => (id === undefined ? { error } : { error, id });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return withId(new ServerError('VALIDATION_FAILED', 'A frame is a JSON object.'));
  }
  const { v, type } = value as { v?: unknown; type?: unknown };
  if (v !== FRAME_VERSION) {
    return withId(
      new ServerError('UNSUPPORTED_VERSION', `This server speaks frame version ${FRAME_VERSION}.`),
    );
  }
  const validate = typeof type === 'string' ? validators.get(type) : undefined;
  if (validate === undefined) {
    return withId(
      new ServerError(
        'UNKNOWN_FRAME',
        `Known frame types: ${Object.keys(CLIENT_FRAME_SCHEMAS).join(', ')}.`,
      ),
    );
  }
  if (!validate(value)) {
    const first = validate.errors?.[0];
    const where = first?.instancePath === '' ? 'frame' : `frame${first?.instancePath ?? ''}`;
    return withId(
      new ServerError('VALIDATION_FAILED', `${where} ${first?.message ?? 'is invalid'}`),
    );
  }
  return { frame: value as ClientFrame & { type: FrameType } };
}
