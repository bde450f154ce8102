import fc from 'fast-check';

/** Generators of sprint files that are wrong in every way a person or a program can get them wrong. */

/** Keys that reach the prototype when code copies objects carelessly. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
] as const;

/** Valid sprint files, as YAML and as JSON: the seeds of the mutations. */
export const validDocuments: readonly string[] = [
  `id: bad-input
title: A valid sprint
repo: /tmp/repo
strategy: eager
concurrency: 2
packages:
  - id: WP01
    title: First
    run: echo one > one.txt
    priority: P0
    points: 3
  - id: WP02
    title: Second
    dependsOn: [WP01]
    external: true
    lease: 30m
  - id: WP03
    title: Third
    dependsOn: [WP01, WP02]
    run: "true"
    timeout: 1h30m
integration:
  checks: [npm test]
`,
  `id: days
repo: /tmp/repo
scope: mvp
deadline: 8h
days: { count: 3, start: 2025-01-13 }
capacity: 5
packages:
  - { id: A, title: A, run: &cmd "true", mvp: true, points: 2, estimate: 2h }
  - { id: B, title: B, run: *cmd, dependsOn: [A], points: 4, tasks: [{ id: T1, title: Do it }] }
  - { id: C, title: C, run: *cmd, priority: P2 }
github: { repo: acme/widgets, issue: 7, minInterval: 2s }
`,
  JSON.stringify({
    id: 'json-sprint',
    repo: '/tmp/repo',
    packages: [
      { id: 'WP1', title: 'One', run: 'true' },
      { id: 'WP2', title: 'Two', run: 'true', dependsOn: ['WP1'] },
    ],
  }),
  JSON.stringify(
    {
      id: 'json-pretty',
      repo: '/tmp/repo',
      days: 2,
      packages: [{ id: 'only', title: 'Only', external: true, points: 1 }],
    },
    null,
    2,
  ),
];

/** Characters and tokens that mean something to YAML. */
export const yamlish = fc.constantFrom(
  ':',
  '-',
  ' ',
  '  ',
  '\n',
  '\t',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a',
  '*a',
  '!',
  '!!str',
  '|',
  '>',
  '#',
  "'",
  '"',
  '?',
  '%',
  '@',
  '`',
  '<<',
  '---',
  '...',
  'id',
  'repo',
  'packages',
  '__proto__',
  'a',
  '1',
  '.',
  'é',
  '\u0000',
  '\r\n',
  '\ufeff',
  '\\',
);

const FRAGMENTS = [
  '\t',
  '  ',
  '&x ',
  '*x',
  '*undefined_alias',
  '!!binary aGVsbG8=',
  '!!set {a, b}',
  '!!omap [a: 1]',
  '!!timestamp 2025-01-01',
  '!!float .nan',
  '!custom tag',
  '!!js/function "function () {}"',
  '<<: *x\n',
  '__proto__: { polluted: true }\n',
  'constructor: { prototype: { polluted: true } }\n',
  'prototype: x\n',
  ': ',
  '- ',
  '\n',
  '"',
  "'",
  '{',
  '}',
  '[',
  ']',
  '#',
  '? [a, b]\n: c\n',
  '\u202e',
  '\u200b',
  '🦄',
  '\ud800',
  '.nan',
  '.inf',
  '-.inf',
  '1e400',
  '-1',
  '0x7fffffffffffffff',
  '~',
  'null',
  'yes',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '%TAG ! tag:example.com,2000:\n',
  '|\n  block\n',
  '>-\n  folded\n',
  'id: duplicate\n',
  'packages: []\n',
  '\r\n',
  '\u0000',
];

type Mutation = (text: string) => string;

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
const at = (text: string, fraction: number) => Math.floor(fraction * (text.length + 1));

const insert = fc
  .tuple(position, fc.constantFrom(...FRAGMENTS))
  .map(([where, fragment]): Mutation => (text) => {
    const i = at(text, where);
    return text.slice(0, i) + fragment + text.slice(i);
  });
const cut = fc.tuple(position, fc.nat({ max: 40 })).map(([where, length]): Mutation => (text) => {
  const i = at(text, where);
  return text.slice(0, i) + text.slice(i + length);
});
const lineOp = (op: (lines: string[], i: number, j: number) => void) =>
  fc.tuple(position, position).map(([a, b]): Mutation => (text) => {
    const lines = text.split('\n');
    op(lines, Math.floor(a * lines.length), Math.floor(b * lines.length));
    return lines.join('\n');
  });
const duplicateLine = lineOp((lines, i) => lines.splice(i, 0, lines[i] ?? ''));
const swapLines = lineOp((lines, i, j) => {
  [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
});
const tabIndent = lineOp((lines, i) => {
  lines[i] = (lines[i] ?? '').replace(/^ +/, '\t');
});
const replaceNumber = fc
  .constantFrom('1e400', '-5', '0.5', '.nan', '99999999999999999999', '0')
  .map(
    (number): Mutation =>
      (text) =>
        text.replace(/\b\d+\b/, number),
  );

/** A valid sprint file after one to four mutations. */
export const mutatedText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...validDocuments),
    fc.array(fc.oneof(insert, insert, cut, duplicateLine, swapLines, tabIndent, replaceNumber), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([text, mutations]) => mutations.reduce((out, mutate) => mutate(out), text));

/** A YAML alias bomb (`expandsTo` nodes once expanded), or aliases that point into themselves. */
export const aliasBomb: fc.Arbitrary<{ text: string; expandsTo: number }> = fc.oneof(
  fc
    .record({ width: fc.integer({ min: 2, max: 10 }), depth: fc.integer({ min: 1, max: 9 }) })
    .map(({ width, depth }) => {
      const lines = [`a0: &a0 [${Array(width).fill('"lol"').join(', ')}]`];
      for (let level = 1; level <= depth; level++) {
        const refs = Array(width)
          .fill(`*a${level - 1}`)
          .join(', ');
        lines.push(`a${level}: &a${level} [${refs}]`);
      }
      return { text: `${lines.join('\n')}\n`, expandsTo: width ** (depth + 1) };
    }),
  fc
    .constantFrom(
      '&a [*a]',
      'a: &a { b: *a }',
      'id: x\nrepo: /r\npackages: &p\n  - { id: A, title: t, run: x, dependsOn: *p }\n',
      'id: x\nrepo: /r\npackages:\n  - &pk { id: A, title: t, run: x, tasks: [*pk] }\n',
      'id: &i x\nrepo: *i\ntitle: *i\npackages: [{ id: *i, title: *i, run: *i }]\n',
    )
    .map((text) => ({ text, expandsTo: 0 })),
);

/** Numbers no sprint means. */
export const absurdNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    NaN,
    Infinity,
    -Infinity,
    -0,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    Number.MIN_VALUE,
    -1,
    0.5,
    2 ** 31,
    2 ** 53,
    1_001,
  ),
  fc.double(),
  fc.integer(),
);

const strangeString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202eevil',
    'ＷＰ０１',
    'İ',
    '\ud800',
    '🦄'.repeat(100),
    'a\nb',
    '../../etc/passwd',
    '--help',
    '-rf',
    'x'.repeat(10_000),
    ...PROTO_KEYS,
  ),
);

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Any value where a field's value should be: wrong types, strange strings, giant or deep shapes. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  absurdNumber,
  strangeString,
  fc.boolean(),
  fc.constantFrom(null, undefined, [], {}),
  fc.bigInt(),
  fc.date(),
  fc.integer({ min: 50, max: 1_000 }).map((depth) => nested(depth, 'leaf')),
  fc.integer({ min: 1_000, max: 5_000 }).map((length) => Array(length).fill('x')),
  fc.dictionary(fc.constantFrom(...PROTO_KEYS, 'x'), fc.jsonValue({ maxDepth: 2 })),
  fc.jsonValue({ maxDepth: 3 }),
);

const duration = fc.constantFrom('90s', '30m', '2h', '1h30m', '2d', '0s');

/** Packages `WP1`…: each depends only on earlier ones, so the graph is valid. */
const validPackages = fc
  .array(
    fc.record(
      {
        back: fc.array(fc.nat({ max: 3 }), { maxLength: 3 }),
        external: fc.boolean(),
        priority: fc.constantFrom('P0', 'P1', 'P2'),
        mvp: fc.boolean(),
        points: fc.integer({ min: 0, max: 13 }),
        timeout: duration,
        estimate: duration,
        lease: duration,
        tasks: fc.uniqueArray(
          fc.record({ id: fc.constantFrom('T1', 'T2', 'T3'), title: fc.constant('Task') }),
          { selector: (task) => task.id, maxLength: 3 },
        ),
      },
      { requiredKeys: ['back', 'external'] },
    ),
    { minLength: 1, maxLength: 10 },
  )
  .map((packages) =>
    packages.map(({ back, external, lease, ...rest }, i) => {
      const dependsOn = back.map((d) => i - 1 - d).filter((j) => j >= 0);
      return {
        id: `WP${i + 1}`,
        title: `Package ${i + 1}`,
        dependsOn: [...new Set(dependsOn)].map((j) => `WP${j + 1}`),
        ...(external ? { external: true, ...(lease ? { lease } : {}) } : { run: 'true' }),
        ...rest,
      };
    }),
  );

/** Sprints the schema and the graph check accept. */
const validSprint = fc
  .record(
    {
      id: fc.constantFrom('s1', 'sprint-2', 'a.b_c'),
      title: fc.string({ unit: 'grapheme', maxLength: 20 }),
      repo: fc.constantFrom('/tmp/repo', '.', 'relative/dir'),
      base: fc.constantFrom('main', 'develop'),
      strategy: fc.constantFrom('waves', 'eager'),
      concurrency: fc.integer({ min: 1, max: 20 }),
      scope: fc.constantFrom('full', 'mvp'),
      deadline: fc.constantFrom('8h', '2d', '2026-12-01T17:00:00Z', '1h30m'),
      days: fc.oneof(
        fc.integer({ min: 1, max: 30 }),
        fc.record(
          {
            count: fc.integer({ min: 1, max: 30 }),
            start: fc.constantFrom('2025-01-13', '2024-02-29'),
            length: duration,
          },
          { requiredKeys: ['count'] },
        ),
      ),
      capacity: fc.integer({ min: 1, max: 20 }),
      packages: validPackages,
      integration: fc.record(
        {
          branch: fc.constantFrom('release', 'sprintwave/s1/integration'),
          checks: fc.array(fc.constantFrom('npm test', 'make'), { maxLength: 2 }),
        },
        { requiredKeys: [] },
      ),
      github: fc.record(
        {
          repo: fc.constant('acme/widgets'),
          issue: fc.integer({ min: 1, max: 100 }),
          sync: fc.boolean(),
          minInterval: duration,
        },
        { requiredKeys: ['repo'] },
      ),
    },
    { requiredKeys: ['id', 'repo', 'packages'] },
  )
  .map(({ capacity, ...sprint }) => (sprint.days ? { ...sprint, capacity } : sprint));

const FIELDS = {
  sprint: [
    'id',
    'title',
    'repo',
    'base',
    'strategy',
    'concurrency',
    'scope',
    'deadline',
    'days',
    'capacity',
    'packages',
    'integration',
    'github',
  ],
  package: [
    'id',
    'title',
    'dependsOn',
    'run',
    'external',
    'agent',
    'prompt',
    'priority',
    'mvp',
    'points',
    'timeout',
    'lease',
    'estimate',
    'tasks',
    'description',
    'test',
  ],
  integration: ['branch', 'checks', 'push', 'remote', 'pushPackages', 'pushOnFailure'],
  github: ['repo', 'issue', 'sync', 'minInterval', 'pullRequest', 'draftOnFailure'],
  days: ['count', 'start', 'length'],
};

type Target = keyof typeof FIELDS;
type Corruption =
  | { kind: 'set'; target: Target; index: number; field: string; value: unknown }
  | { kind: 'delete'; target: Target; index: number; field: string }
  | { kind: 'rewire'; index: number; to: number };

const corruption: fc.Arbitrary<Corruption> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    target: fc.constantFrom<Target>(
      'sprint',
      'package',
      'package',
      'integration',
      'github',
      'days',
    ),
    index: fc.nat(),
    field: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...Object.values(FIELDS).flat()) },
      { weight: 1, arbitrary: fc.constantFrom(...PROTO_KEYS, 'unknownField', 'Id', ' id') },
    ),
    value: weirdValue,
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    target: fc.constantFrom<Target>('sprint', 'package'),
    index: fc.nat(),
    field: fc.constantFrom('id', 'title', 'repo', 'packages', 'run', 'external'),
  }),
  // A dependency on any package, itself included: loops, self-dependencies, unknown ids.
  fc.record({ kind: fc.constant('rewire' as const), index: fc.nat(), to: fc.nat({ max: 11 }) }),
);

type Json = Record<string, unknown>;

/** A copy of `object` with one own property set: `__proto__` too becomes an own key. */
function withField(object: unknown, field: string, value: unknown): Json {
  const copy: Json = { ...(object as Json) };
  Object.defineProperty(copy, field, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

function withoutField(object: unknown, field: string): Json {
  const copy: Json = { ...(object as Json) };
  delete copy[field];
  return copy;
}

/** Applies `change` to the target object inside `sprint`, copying the objects on the way. */
function corrupt(sprint: Json, c: Corruption): Json {
  const packages = sprint.packages as unknown[];
  const index = c.index % packages.length;
  const edit = (object: unknown): Json => {
    if (c.kind === 'rewire') return withField(object, 'dependsOn', [`WP${c.to + 1}`]);
    return c.kind === 'set' ? withField(object, c.field, c.value) : withoutField(object, c.field);
  };
  const target = c.kind === 'rewire' ? 'package' : c.target;
  if (target === 'sprint') return edit(sprint);
  if (target === 'package') {
    if (!Array.isArray(packages)) return sprint;
    return { ...sprint, packages: packages.map((wp, i) => (i === index ? edit(wp) : wp)) };
  }
  const inner = sprint[target];
  const object = inner !== null && typeof inner === 'object' ? inner : {};
  return { ...sprint, [target]: edit(object) };
}

/**
 * Sprint-shaped values: a valid sprint with up to three fields broken (set to an absurd value
 * or a wrong type, removed, a prototype key added, a dependency rewired into a loop). The
 * unbroken and the harmlessly broken ones go on to the planner.
 */
export const sprintShaped: fc.Arbitrary<Json> = fc
  .tuple(validSprint, fc.array(corruption, { maxLength: 3 }))
  .map(([sprint, corruptions]) =>
    corruptions.reduce<Json>((out, change) => {
      return Array.isArray(out.packages) ? corrupt(out, change) : out;
    }, sprint),
  );

/** Sprint-shaped values whose object graph loops back into itself somewhere. */
export const withCycles: fc.Arbitrary<Json> = fc
  .tuple(sprintShaped, fc.nat({ max: 4 }))
  .map(([sprint, where]) => {
    const copy: Json = { ...sprint };
    const packages = Array.isArray(sprint.packages) ? [...(sprint.packages as unknown[])] : [];
    const first: Json = { ...((packages[0] as object | undefined) ?? {}) };
    packages[0] = first;
    copy.packages = packages;
    if (where === 0) copy.title = copy;
    if (where === 1) first.dependsOn = packages;
    if (where === 2) packages.push(packages);
    if (where === 3) copy.integration = { checks: [], branch: copy };
    if (where === 4) first.tasks = [first];
    return copy;
  });
