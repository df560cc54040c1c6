const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/**
 * Static dummy credentials for AWS endpoints on loopback (dynalite, the gateway emulator),
 * which accept any signature. In AWS the SDK's default chain (task role, Lambda role) is used.
 */
export function localAwsCredentials(endpoint: string | undefined): {
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  if (endpoint === undefined || process.env.AWS_ACCESS_KEY_ID !== undefined) return {};
  return LOOPBACK.test(new URL(endpoint).hostname)
    ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
    : {};
}
