/** One schema step. Files are named `NNNN-what.ts`; versions are contiguous from 1. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Plain DDL; runs in one transaction together with the `user_version` bump. */
  readonly sql: string;
}
