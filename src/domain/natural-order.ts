const CHUNKS = /\d+|\D+/g;

/** Compares ids as people do: WP2 < WP10, WP01 < WP02; equal-looking ids fall back to code order. */
export function naturalCompare(a: string, b: string): number {
  const left = a.match(CHUNKS) ?? [];
  const right = b.match(CHUNKS) ?? [];
  const shared = Math.min(left.length, right.length);
  for (let i = 0; i < shared; i++) {
    const order = compareChunks(left[i] as string, right[i] as string);
    if (order !== 0) return order;
  }
  return left.length - right.length || codeOrder(a, b);
}

function compareChunks(a: string, b: string): number {
  if (!isDigits(a) || !isDigits(b)) return codeOrder(a, b);
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  return x.length - y.length || codeOrder(x, y);
}

function isDigits(text: string): boolean {
  return text.charCodeAt(0) >= 48 && text.charCodeAt(0) <= 57;
}

function codeOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
