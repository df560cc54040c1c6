import {
  decodePublicKey,
  isProtocolError,
  verifySignedPreKey,
  type CryptoProvider,
} from '@susurro/protocol';
import { decodeBase64 } from '../encoding.ts';
import { ServerError } from '../errors.ts';

const SIGNATURE_BYTES = 64;

/**
 * Base64 → Encode(PK) bytes, checked by the protocol package (type byte, length, canonical,
 * not a low-order point). Returns the 33 encoded bytes, which is what the directory stores.
 */
export function parsePublicKey(value: string, field: string): Uint8Array {
  const encoded = decodeBase64(value, field);
  try {
    decodePublicKey(encoded, field);
  } catch (e) {
    if (isProtocolError(e))
      throw new ServerError('INVALID_KEY', `${field}: ${e.message}`, { cause: e });
    throw e;
  }
  return encoded;
}

/**
 * X3DH §3.3: the server checks Sig(IK, Encode(SPK)) at upload and refuses a bad one, so a
 * broken or malicious client cannot publish a bundle every peer would then reject.
 */
export async function checkSignedPreKey(
  crypto: CryptoProvider,
  identityKey: Uint8Array,
  signedPreKey: Uint8Array,
  signatureBase64: string,
): Promise<Uint8Array> {
  const signature = decodeBase64(signatureBase64, 'signedPreKey.signature');
  if (signature.length !== SIGNATURE_BYTES) {
    throw new ServerError(
      'BAD_SIGNATURE',
      `signedPreKey.signature must be ${SIGNATURE_BYTES} bytes`,
    );
  }
  let valid: boolean;
  try {
    valid = await verifySignedPreKey(
      { crypto },
      identityKey.subarray(1),
      signedPreKey.subarray(1),
      signature,
    );
  } catch (e) {
    if (isProtocolError(e)) throw new ServerError('BAD_SIGNATURE', undefined, { cause: e });
    throw e;
  }
  if (!valid) throw new ServerError('BAD_SIGNATURE');
  return signature;
}
