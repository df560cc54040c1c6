/**
 * @susurro/protocol — the isomorphic E2EE core: XEdDSA, X3DH, Double Ratchet, wire formats
 * and safety numbers. No I/O; crypto primitives, randomness and time come in as parameters.
 * The fast Node provider lives at `@susurro/protocol/node`.
 */
export * from './errors.ts';
export * from './constants.ts';
export type { CryptoProvider, RandomSource, ProtocolEnv } from './crypto-provider.ts';
export { systemRandom } from './crypto-provider.ts';
export { concatBytes, equalBytes, fromHex, toHex, wipe } from './bytes.ts';
export * from './keys.ts';
export { xeddsaSign, xeddsaVerify } from './xeddsa.ts';
export { x3dhInitiate, x3dhRespond, associatedData, type X3dhInitiation } from './x3dh.ts';
export { kdfChainKey, kdfRootKey, expandMessageKey } from './ratchet/kdf.ts';
export { Session, type RespondOptions } from './session.ts';
export {
  decodeInitialMessage,
  decodeRatchetMessage,
  messageType,
  WIRE_VERSION,
  type InitialMessage,
  type RatchetMessage,
  type RatchetHeader,
} from './wire.ts';
export * from './fingerprint.ts';
export { nobleCryptoProvider } from './providers/noble.ts';
export { webCryptoProvider } from './providers/webcrypto.ts';
