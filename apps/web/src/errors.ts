/**
 * The web client's own error family, in the SDK's shape (STYLE §4): a stable `code` that
 * app/error-words.ts turns into words. Codes here are the web client's (e.g. SELF,
 * MESSAGE_TOO_LONG, DEVICE_KEY_MISSING); the SDK's and the server's arrive as ClientError.
 */
export class WebClientError extends Error {
  override readonly name: string = 'WebClientError';
  constructor(
    readonly code: string,
    /** A more precise sentence than the code's standard words (e.g. which rule failed). */
    message?: string,
  ) {
    super(message ?? code);
  }
}

export function isWebClientError(e: unknown, code?: string): e is WebClientError {
  return e instanceof WebClientError && (code === undefined || e.code === code);
}
