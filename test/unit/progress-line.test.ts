import {
  LineSplitter,
  LineTail,
  MAX_LINE_CHARS,
  OUTPUT_TAIL_LINES,
  parseProgressLine,
} from '../../src/domain/progress-line';

describe('parseProgressLine', () => {
  it.each([
    ['::progress 3/10', { done: 3, total: 10 }],
    ['  ::progress 0/1  ', { done: 0, total: 1 }],
    ['::progress 5/5 all files written', { done: 5, total: 5, note: 'all files written' }],
    ['::progress 2/4   halfway  ', { done: 2, total: 4, note: 'halfway' }],
    ['::progress\t1/2\tnote', { done: 1, total: 2, note: 'note' }],
  ])('parses %j', (line, expected) => {
    expect(parseProgressLine(line)).toEqual(expected);
  });

  it.each([
    '',
    'progress 1/2',
    '::progress',
    '::progress 3/2',
    '::progress 0/0',
    '::progress -1/2',
    '::progress 1.5/2',
    '::progress 1/2.5',
    '::progress 1 / 2',
    '::progress 1/2note',
    '::progress 99999999999999999999/99999999999999999999',
    'say ::progress 1/2',
  ])('rejects %j', (line) => {
    expect(parseProgressLine(line)).toBeUndefined();
  });
});

describe('LineSplitter', () => {
  function split(chunks: string[], maxLineChars?: number): string[] {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), maxLineChars);
    for (const chunk of chunks) splitter.write(chunk);
    splitter.end();
    return lines;
  }

  it('joins lines split across chunks and strips CR', () => {
    expect(split(['al', 'pha\nbe', 'ta\r\n', '\ngam', 'ma'])).toEqual([
      'alpha',
      'beta',
      '',
      'gamma',
    ]);
  });

  it('emits nothing for empty output and no extra line after a final newline', () => {
    expect(split([])).toEqual([]);
    expect(split(['one\n'])).toEqual(['one']);
  });

  it('caps very long lines, even across chunks, and says how much was cut', () => {
    const lines = split(['x'.repeat(3_000), 'y'.repeat(3_000), '\nnext\n']);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(`${'x'.repeat(3_000)}${'y'.repeat(1_000)}…[+2000 chars]`);
    expect(lines[1]).toBe('next');
    expect(MAX_LINE_CHARS).toBe(4_000);
  });

  it('never cuts a surrogate pair in half', () => {
    const [line] = split(['ab😀cd\n'], 3);
    expect(line).toBe('ab…[+4 chars]');
  });
});

describe('LineTail', () => {
  it('keeps the last N lines in order', () => {
    const tail = new LineTail(3);
    tail.write('1\n2\n3\n4');
    tail.write('5\n6');
    tail.end();
    expect(tail.lines()).toEqual(['3', '45', '6']);
    expect(tail.totalLines).toBe(5);
  });

  it('defaults to OUTPUT_TAIL_LINES lines', () => {
    const tail = new LineTail();
    for (let i = 1; i <= 1_000; i += 1) tail.add(`line ${i}`);
    expect(OUTPUT_TAIL_LINES).toBe(200);
    expect(tail.lines()).toHaveLength(200);
    expect(tail.lines()[0]).toBe('line 801');
    expect(tail.lines()[199]).toBe('line 1000');
  });

  it('returns a copy', () => {
    const tail = new LineTail();
    tail.add('a');
    tail.lines().push('b');
    expect(tail.lines()).toEqual(['a']);
  });
});
