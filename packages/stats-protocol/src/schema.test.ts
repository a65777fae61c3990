import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { encodeStats } from './encode.js';
import { allShapes, documentShape, type ValueSpec } from './shape.js';
import { packageRoot, tsgiDocument, uwsgiSampleText } from './fixtures.js';

/** The subset of JSON Schema that schema.json uses. */
interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number';
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: Schema;
  items?: Schema;
  $ref?: string;
  $defs?: Record<string, Schema>;
}

const schema = JSON.parse(readFileSync(`${packageRoot}schema.json`, 'utf8')) as Schema;

/** A tiny validator: type, required, properties, additionalProperties, items, local $ref. */
function validate(value: unknown, node: Schema, path = '$'): string[] {
  if (node.$ref) {
    const name = node.$ref.replace('#/$defs/', '');
    const target = schema.$defs?.[name];
    return target ? validate(value, target, path) : [`${path}: unresolved ${node.$ref}`];
  }
  if (node.type && !hasType(value, node.type)) return [`${path}: expected ${node.type}, got ${JSON.stringify(value)}`];
  const errors: string[] = [];
  if (Array.isArray(value) && node.items) {
    value.forEach((item, i) => errors.push(...validate(item, node.items as Schema, `${path}[${i}]`)));
  }
  if (isRecord(value)) {
    for (const key of node.required ?? []) {
      if (!Object.hasOwn(value, key)) errors.push(`${path}.${key}: required`);
    }
    for (const [key, child] of Object.entries(value)) {
      const childSchema = node.properties?.[key] ?? node.additionalProperties;
      if (childSchema) errors.push(...validate(child, childSchema, `${path}.${key}`));
    }
  }
  return errors;
}

function hasType(value: unknown, type: NonNullable<Schema['type']>): boolean {
  switch (type) {
    case 'object':
      return isRecord(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

test('schema.json is a draft 2020-12 schema', () => {
  assert.equal((schema as Record<string, unknown>)['$schema'], 'https://json-schema.org/draft/2020-12/schema');
});

test('the real uWSGI sample validates', () => {
  assert.deepEqual(validate(JSON.parse(uwsgiSampleText()), schema), []);
});

test('a tsgi document (with spoolers and the tsgi object) validates', () => {
  assert.deepEqual(validate(JSON.parse(encodeStats(tsgiDocument())), schema), []);
});

test('the validator catches what the schema forbids', () => {
  const doc = JSON.parse(encodeStats(tsgiDocument())) as Record<string, unknown>;
  delete doc['workers'];
  doc['pid'] = '1';
  (doc['locks'] as unknown[]).push({ bad: 'x' });
  (doc['tsgi'] as Record<string, unknown>)['reloads'] = 1.5;
  assert.deepEqual(validate(doc, schema), [
    '$.workers: required',
    '$.pid: expected integer, got "1"',
    '$.locks[8].bad: expected integer, got "x"',
    '$.tsgi.reloads: expected integer, got 1.5',
  ]);
});

test('tsgi additions are optional: the uWSGI sample has none of them', () => {
  const worker = schema.$defs?.['worker'];
  for (const key of ['elu', 'cpu', 'in_flight', 'draining', 'recycle_reason', 'backoff', 'ready']) {
    assert.ok(worker?.properties?.[key], key);
    assert.ok(!worker?.required?.includes(key), key);
  }
  assert.ok(schema.properties?.['tsgi'] && !schema.required?.includes('tsgi'));
});

test('schema.json agrees with shape.ts: same objects, keys in the same order, same required keys and types', () => {
  for (const shape of allShapes) {
    const node = shape === documentShape ? schema : schema.$defs?.[shape.name];
    assert.ok(node, `$defs.${shape.name}`);
    assert.deepEqual(Object.keys(node.properties ?? {}), Object.keys(shape.fields), shape.name);
    const required = Object.entries(shape.fields)
      .filter(([, spec]) => spec.presence === 'always' || spec.presence === 'fill')
      .map(([key]) => key);
    assert.deepEqual(node.required, required, shape.name);
    for (const [key, spec] of Object.entries(shape.fields)) {
      assert.equal(schemaKind(node.properties?.[key]), specKind(spec), `${shape.name}.${key}`);
    }
  }
  assert.deepEqual(Object.keys(schema.$defs ?? {}).sort(), allShapes.filter((s) => s !== documentShape).map((s) => s.name).sort());
});

function schemaKind(node: Schema | undefined): string {
  if (!node) return 'missing';
  if (node.$ref) return `object:${node.$ref.replace('#/$defs/', '')}`;
  if (node.type === 'array') return `list:${schemaKind(node.items)}`;
  if (node.type === 'object' && node.additionalProperties) return `map:${schemaKind(node.additionalProperties)}`;
  return node.type ?? 'any';
}

function specKind(spec: ValueSpec): string {
  switch (spec.kind) {
    case 'int':
      return 'integer';
    case 'list':
      return `list:${specKind(spec.of)}`;
    case 'map':
      return `map:${specKind(spec.of)}`;
    case 'object':
      return `object:${spec.shape.name}`;
    default:
      return spec.kind;
  }
}
