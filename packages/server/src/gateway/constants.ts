/** Where API Gateway's `$default` route integration posts each client frame. */
export const GATEWAY_FRAMES_PATH = '/v1/gateway/frames';
/** Request parameters the integration maps: `context.connectionId` and the shared secret. */
export const CONNECTION_ID_HEADER = 'x-connection-id';
export const GATEWAY_SECRET_HEADER = 'x-gateway-secret';
