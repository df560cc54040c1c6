/**
 * What the storage contract's parts share: the fixture an adapter test hands in, and small
 * helpers for keys, times and StorageErrors.
 */
import { expect } from 'vitest';
import { isStorageError, type DeviceAddress, type Storage } from '../../src/storage/types.ts';

export interface StorageFixture {
  readonly storage: Storage;
  readonly cleanup: () => Promise<void>;
}

/** An account with one device, as the contract's tests create them. */
export interface ContractAccount {
  readonly accountId: string;
  readonly username: string;
  readonly deviceId: number;
  readonly device: DeviceAddress;
}

/** The storage under test (fresh for each test) and a way to make accounts in it. */
export interface ContractContext {
  storage(): Storage;
  account(username: string): Promise<ContractAccount>;
}

export const T0 = 1_700_000_000_000;
export const key = (fill: number, length = 33): Uint8Array => new Uint8Array(length).fill(fill);
export const spk = (keyId: number, fill: number) => ({
  keyId,
  publicKey: key(fill),
  signature: key(fill, 64),
});

export async function expectStorageError(promise: Promise<unknown>, kind: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(error), `expected StorageError ${kind}, got ${String(error)}`).toBe(true);
  expect((error as { kind: string }).kind).toBe(kind);
}
