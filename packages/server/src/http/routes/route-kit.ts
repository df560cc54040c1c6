import { errorBody } from '../../schemas.ts';

/** Error responses documented for a route (the body is always `{ code, message }`). */
export function errorResponses(...statuses: number[]): Record<number, typeof errorBody> {
  return Object.fromEntries(statuses.map((s) => [s, errorBody]));
}

export const BEARER = [{ bearer: [] }];

export const obj = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  required,
  additionalProperties: false,
  properties,
});
