// Lambda for the API Gateway WebSocket route `$connect` (and the emulator's, `make mock`).
import { createConnectHandler, lambdaDepsFromEnv } from '@susurro/server/gateway';

export const handler = createConnectHandler(lambdaDepsFromEnv(process.env));
