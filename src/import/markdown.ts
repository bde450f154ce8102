import MarkdownIt from 'markdown-it';

type Token = MarkdownIt.Token;

/** One source line of a paragraph or heading, as text: emphasis dropped, code spans kept. */
export interface MdLine {
  text: string;
  /** 1-based line in the document. */
  line: number;
}

export interface MdHeading {
  level: number;
  text: string;
  line: number;
}

export interface MdItem {
  /** The item's first paragraph, its lines joined by spaces. */
  text: string;
  line: number;
  /** Everything inside the item after its first paragraph (nested lists, code, more text). */
  blocks: MdBlock[];
}

export interface MdRow {
  cells: string[];
  line: number;
}

export type MdBlock =
  | { kind: 'paragraph'; line: number; lines: MdLine[] }
  | { kind: 'list'; line: number; ordered: boolean; items: MdItem[] }
  | { kind: 'code'; line: number; text: string }
  | { kind: 'table'; line: number; header: MdRow; rows: MdRow[] }
  | { kind: 'quote'; line: number; blocks: MdBlock[] };

/** A heading with the blocks up to the next heading and the deeper headings below it. */
export interface MdSection {
  heading: MdHeading;
  blocks: MdBlock[];
  children: MdSection[];
}

export interface MdDocument {
  /** Blocks before the first heading. */
  preamble: MdBlock[];
  /** Top-level sections (the shallowest headings), each holding its deeper ones. */
  sections: MdSection[];
  /** Every heading in document order, with its section. */
  all: MdSection[];
}

const parser = new MarkdownIt('commonmark', { html: false }).enable('table');

/** Parses markdown into sections of blocks. CRLF and a byte order mark are fine. */
export function parseMarkdown(text: string): MdDocument {
  const tokens = parser.parse(text.replace(/^\uFEFF/, ''), {});
  const stream = new TokenStream(tokens);
  const preamble: MdBlock[] = [];
  const roots: MdSection[] = [];
  const all: MdSection[] = [];
  const open: MdSection[] = [];
  while (!stream.done()) {
    const token = stream.peek();
    if (token.type === 'heading_open') {
      const section = { heading: readHeading(stream), blocks: [], children: [] };
      while (open.length && (open.at(-1) as MdSection).heading.level >= section.heading.level) {
        open.pop();
      }
      (open.length ? (open.at(-1) as MdSection).children : roots).push(section);
      open.push(section);
      all.push(section);
      continue;
    }
    const block = readBlock(stream);
    if (block) (open.length ? (open.at(-1) as MdSection).blocks : preamble).push(block);
  }
  return { preamble, sections: roots, all };
}

class TokenStream {
  private index = 0;
  constructor(private readonly tokens: Token[]) {}

  done(): boolean {
    return this.index >= this.tokens.length;
  }

  peek(): Token {
    return this.tokens[this.index] as Token;
  }

  next(): Token {
    return this.tokens[this.index++] as Token;
  }

  /** Skips to just after the token that closes the one at hand, nesting included. */
  skipBlock(): void {
    const first = this.next();
    if (first.nesting !== 1) return;
    let depth = 1;
    while (!this.done() && depth > 0) depth += this.next().nesting;
  }
}

function lineOf(token: Token): number {
  return (token.map?.[0] ?? 0) + 1;
}

function readHeading(stream: TokenStream): MdHeading {
  const open = stream.next();
  const inline = stream.next();
  stream.next(); // heading_close
  return {
    level: Number(open.tag.slice(1)),
    text: inlineText(inline.children ?? [])
      .replace(/\s+/g, ' ')
      .trim(),
    line: lineOf(open),
  };
}

function readBlock(stream: TokenStream): MdBlock | undefined {
  const token = stream.peek();
  switch (token.type) {
    case 'paragraph_open':
      return readParagraph(stream);
    case 'bullet_list_open':
    case 'ordered_list_open':
      return readList(stream);
    case 'fence':
    case 'code_block':
      stream.next();
      return { kind: 'code', line: lineOf(token), text: token.content };
    case 'table_open':
      return readTable(stream);
    case 'blockquote_open':
      return readQuote(stream);
    default:
      stream.skipBlock(); // rules, html and the like carry nothing to import
      return undefined;
  }
}

function readParagraph(stream: TokenStream): MdBlock {
  const open = stream.next();
  const inline = stream.next();
  stream.next(); // paragraph_close
  const first = lineOf(open);
  const lines = inlineText(inline.children ?? [])
    .split('\n')
    .map((text, i) => ({ text: text.trim(), line: first + i }))
    .filter((line) => line.text !== '');
  return { kind: 'paragraph', line: first, lines };
}

function readList(stream: TokenStream): MdBlock {
  const open = stream.next();
  const items: MdItem[] = [];
  while (!stream.done() && stream.peek().type === 'list_item_open') {
    items.push(readItem(stream));
  }
  stream.next(); // *_list_close
  return { kind: 'list', line: lineOf(open), ordered: open.type === 'ordered_list_open', items };
}

function readItem(stream: TokenStream): MdItem {
  const open = stream.next();
  const blocks: MdBlock[] = [];
  while (!stream.done() && stream.peek().type !== 'list_item_close') {
    const block = readBlock(stream);
    if (block) blocks.push(block);
  }
  stream.next(); // list_item_close
  const [first] = blocks;
  if (first?.kind === 'paragraph' && first.line === lineOf(open)) {
    blocks.shift();
    return { text: first.lines.map((l) => l.text).join(' '), line: first.line, blocks };
  }
  return { text: '', line: lineOf(open), blocks };
}

function readTable(stream: TokenStream): MdBlock {
  const open = stream.next();
  const rows: MdRow[] = [];
  let row: MdRow | undefined;
  for (let token = stream.next(); token.type !== 'table_close'; token = stream.next()) {
    if (token.type === 'tr_open') row = { cells: [], line: lineOf(token) };
    else if (token.type === 'inline' && row)
      row.cells.push(inlineText(token.children ?? []).trim());
    else if (token.type === 'tr_close' && row) rows.push(row);
  }
  const [header = { cells: [], line: lineOf(open) }, ...body] = rows;
  return { kind: 'table', line: lineOf(open), header, rows: body };
}

function readQuote(stream: TokenStream): MdBlock {
  const open = stream.next();
  const blocks: MdBlock[] = [];
  while (!stream.done() && stream.peek().type !== 'blockquote_close') {
    const block = readBlock(stream);
    if (block) blocks.push(block);
  }
  stream.next(); // blockquote_close
  return { kind: 'quote', line: lineOf(open), blocks };
}

/** Text of inline tokens: emphasis and links dropped, code spans kept in backticks, breaks as newlines. */
function inlineText(children: Token[]): string {
  let out = '';
  for (const child of children) {
    if (child.type === 'text' || child.type === 'html_inline') out += child.content;
    else if (child.type === 'code_inline') out += `${child.markup}${child.content}${child.markup}`;
    else if (child.type === 'softbreak' || child.type === 'hardbreak') out += '\n';
    else if (child.type === 'image') out += inlineText(child.children ?? []);
  }
  return out;
}

/** The text of every paragraph line and list item in some blocks, nested ones included. */
export function blockLines(blocks: readonly MdBlock[]): MdLine[] {
  const out: MdLine[] = [];
  for (const block of blocks) {
    if (block.kind === 'paragraph') out.push(...block.lines);
    else if (block.kind === 'quote') out.push(...blockLines(block.blocks));
    else if (block.kind === 'list') {
      for (const item of block.items) {
        if (item.text) out.push({ text: item.text, line: item.line });
        out.push(...blockLines(item.blocks));
      }
    }
  }
  return out;
}

/** A section's own blocks followed by those of all its subsections, in document order. */
export function sectionBlocks(section: MdSection): MdBlock[] {
  return [...section.blocks, ...section.children.flatMap(sectionBlocks)];
}
