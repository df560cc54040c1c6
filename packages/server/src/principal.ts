import type { AccountId } from './storage/types.ts';

/** Who is calling: one device of one account, as proven by a token or a ticket. */
export interface Principal {
  readonly accountId: AccountId;
  readonly username: string;
  readonly deviceId: number;
}
