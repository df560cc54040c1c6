// Lambda for the API Gateway WebSocket route `$disconnect` (and the emulator's, `make mock`).
import { createDisconnectHandler, lambdaDepsFromEnv } from '@susurro/server/gateway';

export const handler = createDisconnectHandler(lambdaDepsFromEnv(process.env));
