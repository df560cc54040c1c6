export {
  API_GATEWAY_LIMITS,
  GatewayEmulator,
  type GatewayEmulatorOptions,
  type RouteTarget,
} from './emulator.ts';
export { startLocalDynamoDb, type LocalDynamoDb } from './local-dynamodb.ts';
