import type { RouteOptions } from 'fastify';

// Documentation keys on route schemas; fastify ignores them, the collector below reads them.
declare module 'fastify' {
  interface FastifySchema {
    summary?: string;
    description?: string;
    tags?: string[];
    security?: Array<Record<string, string[]>>;
  }
}

interface RouteSchema {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  body?: unknown;
  querystring?: { properties?: Record<string, unknown>; required?: string[] };
  params?: { properties?: Record<string, unknown>; required?: string[] };
  response?: Record<string, unknown>;
}

/**
 * Builds the OpenAPI 3.1 document from the very schemas fastify validates with, collected as
 * routes register, so the document cannot drift from the code. (OpenAPI 3.1 schema objects are
 * JSON Schema, so route schemas drop in unchanged.)
 */
export class OpenApiCollector {
  readonly #paths: Record<string, Record<string, unknown>> = {};

  onRoute = (route: RouteOptions): void => {
    const schema = route.schema as RouteSchema | undefined;
    if (schema?.summary === undefined) return; // undocumented (e.g. HEAD twins)
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      this.#paths[path] ??= {};
      this.#paths[path][method.toLowerCase()] = operation(schema);
    }
  };

  document(version: string) {
    return {
      openapi: '3.1.0',
      info: {
        title: 'Susurro chat service',
        version,
        description:
          'Accounts, key directory and store-and-forward queue of an end-to-end-encrypted ' +
          'messenger. Real-time delivery uses the WebSocket at /v1/ws (see README). Errors are ' +
          '`{ code, message }` with a stable code.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      paths: this.#paths,
    };
  }
}

function parameters(where: 'query' | 'path', schema: RouteSchema['querystring']) {
  return Object.entries(schema?.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (schema?.required ?? []).includes(name),
    schema: s,
  }));
}

function operation(schema: RouteSchema) {
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(schema.response ?? {})) {
    responses[status] =
      status === '204'
        ? { description: 'No content' }
        : {
            description: status.startsWith('2') ? 'OK' : 'Error',
            content: { 'application/json': { schema: body } },
          };
  }
  return {
    summary: schema.summary,
    ...(schema.description !== undefined && { description: schema.description }),
    tags: schema.tags,
    ...(schema.security !== undefined && { security: schema.security }),
    parameters: [...parameters('path', schema.params), ...parameters('query', schema.querystring)],
    ...(schema.body !== undefined && {
      requestBody: { required: true, content: { 'application/json': { schema: schema.body } } },
    }),
    responses,
  };
}
