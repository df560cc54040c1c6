import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { KeyService, KeyUpload, WireOneTimePreKey } from '../../keys/key-service.ts';
import {
  base64Key,
  deviceId,
  oneTimePreKey,
  oneTimePreKeys,
  signedPreKey,
  usernameInput,
} from '../../schemas.ts';
import { ServerError } from '../../errors.ts';
import { principalOf } from '../auth.ts';
import { BEARER, errorResponses, obj } from './route-kit.ts';

const count = { oneTimePreKeyCount: { type: 'integer' } };
const usernameParams = obj({ username: usernameInput });
const bundleDevice = obj(
  {
    deviceId,
    identityKey: base64Key,
    identityKeyUpdatedAt: { type: 'integer', description: 'epoch ms; moves when the key changes' },
    signedPreKey,
    oneTimePreKey,
  },
  ['deviceId', 'identityKey', 'identityKeyUpdatedAt', 'signedPreKey'],
);

export function keyRoutes(
  app: FastifyInstance,
  keys: KeyService,
  auth: preHandlerAsyncHookHandler,
): void {
  app.put(
    '/v1/keys',
    {
      preHandler: auth,
      schema: {
        summary: "Publish this device's identity key and signed prekey (RF05/RF06)",
        description:
          'The signed prekey signature (XEdDSA over Encode(SPK)) is verified; BAD_SIGNATURE ' +
          'otherwise. A new identity key discards the old one-time prekeys.',
        tags: ['keys'],
        security: BEARER,
        body: obj({ identityKey: base64Key, signedPreKey, oneTimePreKeys }, [
          'identityKey',
          'signedPreKey',
        ]),
        response: {
          200: obj({ identityKeyChanged: { type: 'boolean' }, ...count }),
          ...errorResponses(400, 401, 409),
        },
      },
    },
    async (request) => keys.uploadKeys(principalOf(request), request.body as KeyUpload),
  );

  app.post(
    '/v1/keys/one-time',
    {
      preHandler: auth,
      schema: {
        summary: 'Add one-time prekeys (at most 100 per request)',
        tags: ['keys'],
        security: BEARER,
        body: obj({ oneTimePreKeys: { ...oneTimePreKeys, minItems: 1 } }),
        response: { 200: obj(count), ...errorResponses(400, 401, 409) },
      },
    },
    async (request) => {
      const body = request.body as { oneTimePreKeys: WireOneTimePreKey[] };
      return {
        oneTimePreKeyCount: await keys.addOneTimePreKeys(principalOf(request), body.oneTimePreKeys),
      };
    },
  );

  app.get(
    '/v1/keys/one-time/count',
    {
      preHandler: auth,
      schema: {
        summary: 'How many one-time prekeys this device has left',
        tags: ['keys'],
        security: BEARER,
        response: { 200: obj(count), ...errorResponses(401) },
      },
    },
    async (request) => ({
      oneTimePreKeyCount: await keys.countOneTimePreKeys(principalOf(request)),
    }),
  );

  app.get(
    '/v1/users/:username/bundle',
    {
      preHandler: auth,
      schema: {
        summary: "Fetch a user's prekey bundles (takes one one-time prekey per device)",
        description:
          'Each one-time prekey is handed out at most once. Rate limited per caller. Compare ' +
          'identityKey with the pinned key: a change means the peer reinstalled (or an attack).',
        tags: ['keys'],
        security: BEARER,
        params: usernameParams,
        querystring: obj({ deviceId: { type: 'string', pattern: '^[1-9][0-9]{0,9}$' } }, []),
        response: {
          200: obj({
            username: { type: 'string' },
            devices: { type: 'array', items: bundleDevice },
          }),
          ...errorResponses(400, 401, 404, 429),
        },
      },
    },
    async (request) => {
      const { username } = request.params as { username: string };
      const query = request.query as { deviceId?: string };
      const device = query.deviceId === undefined ? undefined : Number(query.deviceId);
      if (device !== undefined && device > deviceId.maximum) {
        throw new ServerError('VALIDATION_FAILED', 'querystring/deviceId is out of range');
      }
      return keys.takeBundles(principalOf(request), username, device);
    },
  );

  app.get(
    '/v1/users/:username/identity',
    {
      preHandler: auth,
      schema: {
        summary: "A user's identity keys per device (no prekey consumed)",
        tags: ['keys'],
        security: BEARER,
        params: usernameParams,
        response: {
          200: obj({
            username: { type: 'string' },
            devices: {
              type: 'array',
              items: obj({
                deviceId,
                identityKey: base64Key,
                identityKeyUpdatedAt: { type: 'integer' },
              }),
            },
          }),
          ...errorResponses(401, 404),
        },
      },
    },
    async (request) => keys.identities((request.params as { username: string }).username),
  );
}
