/**
 * `make bench` — protocol throughput per crypto provider, as median ops/s.
 *
 *   session setup     Alice processes Bob's bundle (signature check, X3DH), encrypts a first
 *                     message; Bob runs X3DH and decrypts it.
 *   1 KiB one-way     encrypt + decrypt of a 1 KiB message on an established session.
 *   ratchet round trip  A → B → A with 1 KiB each, where every message turns the DH ratchet.
 *
 * Ratios are against the pure-JS noble provider measured in the same run (the baseline a
 * pure-TS port would get). The libsignal column repeats the figures libsignal's native Rust
 * library reached on this 2-core machine, as recorded in the issue; it is not measured here.
 */
import {
  generateIdentityKeyPair,
  generateOneTimePreKeys,
  generateSignedPreKey,
  nobleCryptoProvider,
  Session,
  systemRandom,
  webCryptoProvider,
  type CryptoProvider,
  type PreKeyBundle,
  type ProtocolEnv,
} from '../src/index.ts';
import { nodeCryptoProvider } from '../src/providers/node.ts';
import { formatTable, measure } from './harness.ts';

const LIBSIGNAL_REFERENCE = { setup: 480, oneWay: 2_500, roundTrip: 780 };
const quick = process.argv.includes('--quick');
const options = quick
  ? { rounds: 3, minRoundMs: 150, warmupMs: 50 }
  : { rounds: 5, minRoundMs: 500, warmupMs: 300 };

async function scenario(crypto: CryptoProvider) {
  const env: ProtocolEnv = { crypto, random: systemRandom };
  const alice = await generateIdentityKeyPair(env);
  const bob = await generateIdentityKeyPair(env);
  const spk = await generateSignedPreKey(env, bob, 1, 0);
  const [opk] = await generateOneTimePreKeys(env, 1, 1);
  const bundle: PreKeyBundle = {
    identityKey: bob.publicKey,
    signedPreKey: { keyId: spk.keyId, publicKey: spk.keyPair.publicKey, signature: spk.signature },
    oneTimePreKey: { keyId: opk!.keyId, publicKey: opk!.keyPair.publicKey },
  };
  const respond = {
    ourIdentity: bob,
    signedPreKey: () => spk.keyPair,
    oneTimePreKey: () => opk!.keyPair,
  };
  const kib = systemRandom(1024);

  const setup = async () => {
    const a = await Session.initiate(env, alice, bundle);
    return Session.respond(env, respond, await a.encrypt(kib));
  };
  const established = async () => {
    const a = await Session.initiate(env, alice, bundle);
    const { session: b } = await Session.respond(env, respond, await a.encrypt(kib));
    await a.decrypt(await b.encrypt(kib));
    return { a, b };
  };

  const oneWay = await established();
  const turning = await established();
  return {
    setup: await measure(setup, options),
    oneWay: await measure(async () => oneWay.b.decrypt(await oneWay.a.encrypt(kib)), options),
    roundTrip: await measure(async () => {
      await turning.b.decrypt(await turning.a.encrypt(kib));
      await turning.a.decrypt(await turning.b.encrypt(kib));
    }, options),
  };
}

const providers = [nodeCryptoProvider, webCryptoProvider, nobleCryptoProvider];
const results = new Map<string, Awaited<ReturnType<typeof scenario>>>();
for (const p of providers) {
  process.stderr.write(`measuring ${p.name}…\n`);
  results.set(p.name, await scenario(p));
}
const baseline = results.get('noble')!;
const rows = (['setup', 'oneWay', 'roundTrip'] as const).map((k) => {
  const label = {
    setup: 'session setup',
    oneWay: '1 KiB encrypt+decrypt (one way)',
    roundTrip: '1 KiB round trip, DH ratchet every message',
  }[k];
  const node = results.get('node')![k];
  return [
    label,
    node,
    results.get('webcrypto')![k],
    baseline[k],
    `${(node / baseline[k]).toFixed(1)}×`,
    LIBSIGNAL_REFERENCE[k],
    `${(node / LIBSIGNAL_REFERENCE[k]).toFixed(2)}×`,
  ];
});
console.log(
  `\nProtocol benchmark (ops/s, median of ${options.rounds} rounds; node ${process.version})\n`,
);
console.log(
  formatTable(
    [
      'operation',
      'node',
      'webcrypto',
      'noble (baseline)',
      'node ÷ noble',
      'libsignal (reference)',
      'node ÷ libsignal',
    ],
    rows,
  ),
);
