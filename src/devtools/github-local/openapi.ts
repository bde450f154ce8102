import { readFileSync } from 'node:fs';

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

/** What is checked of a JSON request body: required fields and top-level property types. */
export interface BodyShape {
  required: string[];
  /** A property missing here takes any value. */
  types: Record<string, JsonType[]>;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string;
  documentationUrl?: string;
  body?: BodyShape;
}

export interface ValidationError {
  resource: string;
  field?: string;
  code: 'missing_field' | 'invalid';
  message?: string;
}

export type Validation =
  | { ok: true; operation: Operation }
  | { ok: false; status: 404 }
  | { ok: false; status: 422; operation: Operation; errors: ValidationError[] };

// Only the parts of the description this module reads.
interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
}
interface OperationObject {
  operationId?: string;
  externalDocs?: { url?: string };
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Description {
  paths: Record<string, Record<string, OperationObject>>;
  components: { schemas: Record<string, Schema> };
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'head', 'options']);
const JSON_TYPES = new Set<string>([
  'string',
  'integer',
  'number',
  'boolean',
  'array',
  'object',
  'null',
]);

/** One path template of GitHub's, split into segments; `{...}` segments match any one segment. */
interface Route {
  segments: string[];
  /** `L` for a literal segment, `P` for a parameter: the smallest key is the best match. */
  rank: string;
  operation: Operation;
}

/** Routes by method and segment count, so a request compares only against its peers. */
type Routes = Map<string, Route[]>;

let routes: Routes | undefined;

/** GitHub's routes, built once per process from @octokit/openapi's api.github.com description. */
export function githubRoutes(): Routes {
  routes ??= buildRoutes(loadDescription());
  return routes;
}

const splitPath = (path: string): string[] => path.split('/').filter((segment) => segment !== '');
const routeKey = (method: string, segments: number): string =>
  `${method.toUpperCase()} ${segments}`;
/** A segment holding any `{...}` matches one whole path segment (e.g. `{base}...{head}`). */
const isParam = (segment: string): boolean => segment.includes('{');

function addRoute(routes: Routes, operation: Operation): void {
  const segments = splitPath(operation.template);
  const rank = segments.map((segment) => (isParam(segment) ? 'P' : 'L')).join('');
  const key = routeKey(operation.method, segments.length);
  const peers = routes.get(key) ?? [];
  peers.push({ segments, rank, operation });
  routes.set(key, peers);
}

/**
 * The operation for a request. Where a literal and a parameter both fit, the literal wins at
 * the first place they differ, as GitHub routes (`/issues/comments/{comment_id}` beats
 * `/issues/{issue_number}/...`); a path known only for other methods does not match.
 */
export function matchOperation(method: string, path: string): Operation | undefined {
  const segments = splitPath(path);
  let best: Route | undefined;
  for (const route of githubRoutes().get(routeKey(method, segments.length)) ?? []) {
    const fits = route.segments.every((part, i) => isParam(part) || part === segments[i]);
    if (fits && (!best || route.rank < best.rank)) best = route;
  }
  return best?.operation;
}

function loadDescription(): Description {
  // Not `require('@octokit/openapi')`: its index parses all ten descriptions (~500 MB of JSON).
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Description;
}

/** Keeps only method, template, operationId and body shape, so the parsed JSON can be freed. */
function buildRoutes(description: Description): Routes {
  const routes: Routes = new Map();
  const resolve = refResolver(description.components.schemas);
  for (const [template, item] of Object.entries(description.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const schema = op.requestBody?.content?.['application/json']?.schema;
      addRoute(routes, {
        method: method.toUpperCase(),
        template,
        operationId: op.operationId ?? `${method} ${template}`,
        documentationUrl: op.externalDocs?.url,
        body: schema ? bodyShape(resolve(schema), resolve) : undefined,
      });
    }
  }
  return routes;
}

type Resolve = (schema: Schema) => Schema;

function refResolver(schemas: Record<string, Schema>): Resolve {
  return function resolve(schema) {
    for (let depth = 0; schema.$ref && depth < 10; depth++) {
      schema = schemas[schema.$ref.replace('#/components/schemas/', '')] ?? {};
    }
    return schema;
  };
}

/** Top-level object bodies only; a oneOf/anyOf body is not checked beyond being JSON. */
function bodyShape(schema: Schema, resolve: Resolve): BodyShape | undefined {
  if (!schema.properties) return undefined;
  const types: Record<string, JsonType[]> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    const allowed = typesOf(property, resolve, 0);
    if (allowed) types[name] = allowed;
  }
  return { required: [...(schema.required ?? [])], types };
}

/** The JSON types a schema accepts; `undefined` when it accepts anything. */
function typesOf(schema: Schema, resolve: Resolve, depth: number): JsonType[] | undefined {
  schema = resolve(schema);
  const branches = schema.oneOf ?? schema.anyOf;
  let types: JsonType[] | undefined;
  if (branches && depth < 5) {
    const union = new Set<JsonType>();
    for (const branch of branches) {
      const branchTypes = typesOf(branch, resolve, depth + 1);
      if (!branchTypes) return undefined;
      branchTypes.forEach((t) => union.add(t));
    }
    types = [...union];
  } else if (schema.type !== undefined) {
    const declared = Array.isArray(schema.type) ? schema.type : [schema.type];
    types = declared.filter((t): t is JsonType => JSON_TYPES.has(t));
  } else if (schema.properties || schema.allOf) {
    types = ['object'];
  } else {
    return undefined;
  }
  if (schema.nullable && !types.includes('null')) types.push('null');
  return types;
}

export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string' || typeof value === 'boolean') return typeof value as JsonType;
  return 'object';
}

function accepts(allowed: JsonType[], actual: JsonType): boolean {
  return allowed.includes(actual) || (actual === 'integer' && allowed.includes('number'));
}

/** Checks a request against the description: route and method, then the top-level body. */
export function validateRequest(method: string, path: string, body: unknown): Validation {
  const operation = matchOperation(method, path);
  if (!operation) return { ok: false, status: 404 };
  const errors = bodyErrors(operation, body);
  return errors.length ? { ok: false, status: 422, operation, errors } : { ok: true, operation };
}

function bodyErrors(operation: Operation, body: unknown): ValidationError[] {
  const shape = operation.body;
  if (!shape) return [];
  const resource = operation.operationId;
  if (body === undefined) body = {};
  if (jsonTypeOf(body) !== 'object') {
    return [{ resource, code: 'invalid', message: 'The request body must be a JSON object.' }];
  }
  const fields = body as Record<string, unknown>;
  const errors: ValidationError[] = [];
  for (const field of shape.required) {
    if (fields[field] === undefined) errors.push({ resource, field, code: 'missing_field' });
  }
  for (const [field, value] of Object.entries(fields)) {
    const allowed = shape.types[field];
    const actual = jsonTypeOf(value);
    if (allowed && value !== undefined && !accepts(allowed, actual)) {
      const message = `For '${field}', ${JSON.stringify(value)} is not of type ${allowed.join(' or ')}.`;
      errors.push({ resource, field, code: 'invalid', message });
    }
  }
  return errors;
}
