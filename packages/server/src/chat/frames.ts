/**
 * WebSocket frames, version 1: JSON text `{ "v": 1, "type": …, … }`. Parsing order gives the
 * most useful code: BAD_JSON, then UNSUPPORTED_VERSION, then UNKNOWN_FRAME, then
 * VALIDATION_FAILED against the frame type's schema.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { Base64 } from '../encoding.ts';
import { ServerError } from '../errors.ts';
import { MAX_FRAME_BYTES } from '../limits.ts';
import { envelopeProperties, serverIdInput } from '../schemas.ts';

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
      body: Base64;
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
  ack: frame('ack', { serverId: serverIdInput }, ['serverId']),
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
 * Frames spelled exactly as clients write them (`JSON.stringify` of the frame object, keys in
 * the order of the types above) are read by their fixed parts, without JSON.parse and Ajv:
 * acks and sends are all the frames under load, and JSON.parse plus Ajv were ~5 % of the
 * server's core at 10k msg/s (packages/server/README.md, rounds 10 and 11). A value is taken
 * as is only from characters that JSON writes unescaped and that the schema accepts, so what
 * is read is what JSON.parse would give and the schema would pass; anything else (other key
 * order, spaces, escapes, numbers in another spelling, out-of-range values) returns undefined
 * and takes the general path, whose result is then the same as ever. Property tests check
 * both paths agree (test/units.test.ts).
 */
const ACK_HEAD = '{"v":1,"type":"ack","serverId":"';
const SEND_HEAD = '{"v":1,"type":"send","id":"';
const SEND_TO = '","to":"';
const SEND_DEVICE = '","deviceId":';
const SEND_BODY = ',"body":"';
const STRING_TAIL = '"}';
/** Printable ASCII but `"` and backslash: JSON strings of these need no escapes. */
const PLAIN_CHAR = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]';
const plainString = (max: number) => new RegExp(`^${PLAIN_CHAR}{1,${max}}$`);
const PLAIN_SERVER_ID = plainString(serverIdInput.maxLength);
const PLAIN_ID = new RegExp(`^[A-Za-z0-9._:-]{1,${envelopeProperties.id.maxLength}}$`);
const PLAIN_TO = plainString(envelopeProperties.to.maxLength);
/** An integer as JSON.stringify writes it, within the schema's range (checked after). */
const PLAIN_DEVICE_ID = /^[1-9][0-9]{0,9}$/;
/** Base64's alphabet: decoding checks the rest (BAD_BASE64), as on the general path. */
const PLAIN_BODY = /^[A-Za-z0-9+/=]+$/;

function plainAck(text: string): AckFrame | undefined {
  if (!text.startsWith(ACK_HEAD) || !text.endsWith(STRING_TAIL)) return undefined;
  const serverId = text.slice(ACK_HEAD.length, text.length - STRING_TAIL.length);
  return PLAIN_SERVER_ID.test(serverId) ? { v: 1, type: 'ack', serverId } : undefined;
}

function plainSend(text: string): SendFrame | undefined {
  // All ASCII, so its length is its size in bytes.
  if (text.length > MAX_FRAME_BYTES || !text.endsWith(STRING_TAIL)) return undefined;
  const idStart = SEND_HEAD.length;
  const idEnd = text.indexOf('"', idStart);
  const id = text.slice(idStart, idEnd);
  if (!PLAIN_ID.test(id) || !text.startsWith(SEND_TO, idEnd)) return undefined;
  const toStart = idEnd + SEND_TO.length;
  const toEnd = text.indexOf('"', toStart);
  const to = text.slice(toStart, toEnd);
  if (!PLAIN_TO.test(to) || !text.startsWith(SEND_DEVICE, toEnd)) return undefined;
  const deviceStart = toEnd + SEND_DEVICE.length;
  const deviceEnd = text.indexOf(',', deviceStart);
  if (deviceEnd < 0) return undefined;
  const digits = text.slice(deviceStart, deviceEnd);
  if (!PLAIN_DEVICE_ID.test(digits) || !text.startsWith(SEND_BODY, deviceEnd)) return undefined;
  const deviceId = Number(digits);
  if (deviceId > envelopeProperties.deviceId.maximum) return undefined;
  const body = text.slice(deviceEnd + SEND_BODY.length, text.length - STRING_TAIL.length);
  return PLAIN_BODY.test(body) ? { v: 1, type: 'send', id, to, deviceId, body } : undefined;
}

export function parseClientFrame(text: string): ParsedFrame {
  const plain = text.startsWith(SEND_HEAD) ? plainSend(text) : plainAck(text);
  return plain === undefined ? parseFrameJson(text) : { frame: plain };
}

const PLAIN_VALUE = new RegExp(`^${PLAIN_CHAR}*$`);

/**
 * `JSON.stringify(frame)`. The two frames of every message (`sent`, `message`) are written
 * from a template when their strings need no escapes and their numbers are finite, which is
 * always so for what this server stores; anything else goes through JSON.stringify. A
 * `message` body is Base64 by type, so it needs no check: scanning it was ~1 % of the core at
 * 10k msg/s (packages/server/README.md, round 11). A property test checks both agree
 * (test/units.test.ts).
 */
export function serializeFrame(frame: ServerFrame): string {
  if (frame.type === 'message') {
    const { serverId, id, from, fromDevice, body, sentAt } = frame;
    if (
      PLAIN_VALUE.test(serverId) &&
      PLAIN_VALUE.test(id) &&
      PLAIN_VALUE.test(from) &&
      Number.isFinite(fromDevice) &&
      Number.isFinite(sentAt)
    ) {
      return `{"v":1,"type":"message","serverId":"${serverId}","id":"${id}","from":"${from}","fromDevice":${fromDevice},"body":"${body}","sentAt":${sentAt}}`;
    }
  } else if (frame.type === 'sent') {
    const { id, serverId, duplicate } = frame;
    if (PLAIN_VALUE.test(id) && PLAIN_VALUE.test(serverId)) {
      return `{"v":1,"type":"sent","id":"${id}","serverId":"${serverId}","duplicate":${duplicate}}`;
    }
  }
  return JSON.stringify(frame);
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
