/** A `{param}` path template and the value stored for one HTTP method on it. */
export interface RouteMatch<T> {
  template: string;
  params: Record<string, string>;
  value: T;
}

interface Leaf<T> {
  template: string;
  paramNames: string[];
  byMethod: Map<string, T>;
}

interface Node<T> {
  literals: Map<string, Node<T>>;
  param?: Node<T>;
  leaf?: Leaf<T>;
}

const newNode = <T>(): Node<T> => ({ literals: new Map() });

/** A segment holding any `{...}` matches one whole path segment (e.g. `{base}...{head}`). */
const isParam = (segment: string): boolean => segment.includes('{');

function paramName(segment: string): string {
  const exact = /^\{([^}]+)\}$/.exec(segment);
  return exact?.[1] ?? segment;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Path templates matched segment by segment. Where a literal and a parameter both fit,
 * the literal wins at the first place they differ, as GitHub routes
 * (`/issues/comments/{comment_id}` beats `/issues/{issue_number}/...`).
 */
export class RouteTrie<T> {
  private readonly root = newNode<T>();

  add(method: string, template: string, value: T): void {
    let node = this.root;
    const paramNames: string[] = [];
    for (const segment of splitPath(template)) {
      if (isParam(segment)) {
        paramNames.push(paramName(segment));
        node = node.param ??= newNode<T>();
      } else {
        let next = node.literals.get(segment);
        if (!next) node.literals.set(segment, (next = newNode<T>()));
        node = next;
      }
    }
    node.leaf ??= { template, paramNames, byMethod: new Map() };
    node.leaf.byMethod.set(method.toUpperCase(), value);
  }

  /** The best template that has `method`; a path known only for other methods does not match. */
  match(method: string, path: string): RouteMatch<T> | undefined {
    const segments = splitPath(path);
    const wanted = method.toUpperCase();
    for (const { leaf, values } of this.candidates(this.root, segments, 0, [])) {
      const value = leaf.byMethod.get(wanted);
      if (value === undefined) continue;
      const params: Record<string, string> = {};
      leaf.paramNames.forEach((name, i) => (params[name] = decode(values[i] ?? '')));
      return { template: leaf.template, params, value };
    }
    return undefined;
  }

  private *candidates(
    node: Node<T>,
    segments: string[],
    index: number,
    values: string[],
  ): Generator<{ leaf: Leaf<T>; values: string[] }> {
    if (index === segments.length) {
      if (node.leaf) yield { leaf: node.leaf, values };
      return;
    }
    const segment = segments[index] ?? '';
    const literal = node.literals.get(segment);
    if (literal) yield* this.candidates(literal, segments, index + 1, values);
    if (node.param) yield* this.candidates(node.param, segments, index + 1, [...values, segment]);
  }
}
