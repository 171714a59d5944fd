import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** One record of an import file: its 1-based position among records, its line, and its fields or why it could not be read. */
export interface SourceRecord {
  row: number;
  line: number;
  fields?: Record<string, unknown>;
  /** The record as read (CSV cells, or the JSON value), for the --errors file. */
  raw: unknown;
  error?: string;
}

export type Format = 'csv' | 'json';

/** A record over 1 MiB stops the read: no user needs one, and memory stays bounded (decision 0023). */
const MAX_RECORD = 1 << 20;

export class ImportFileError extends Error {}

/** The file's format: the option, else its extension (.csv; .json, .ndjson, .jsonl), else csv. */
export function formatOf(path: string, option: string | undefined): Format {
  if (option !== undefined) {
    if (option !== 'csv' && option !== 'json')
      throw new ImportFileError(`--format must be csv or json, not "${option}"`);
    return option;
  }
  return /\.(json|ndjson|jsonl)$/i.test(path) ? 'json' : 'csv';
}

/** The file read in chunks of text; `bytes()` is how far it got (for the progress line). */
export async function openText(path: string) {
  const size = (await stat(path)).size;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  return { size, bytes: () => stream.bytesRead, chunks: stream as AsyncIterable<string> };
}

/** Lines of the text (LF or CRLF), a byte-order mark dropped, each with its 1-based number. */
async function* lines(chunks: AsyncIterable<string>): AsyncGenerator<[string, number]> {
  let rest = '';
  let n = 0;
  let first = true;
  for await (let chunk of chunks) {
    if (first && chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    first = false;
    rest += chunk;
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const l = rest.slice(0, i);
      rest = rest.slice(i + 1);
      yield [l.endsWith('\r') ? l.slice(0, -1) : l, ++n];
    }
    if (rest.length > MAX_RECORD) throw new ImportFileError(`line ${n + 1} is over 1 MiB`);
  }
  if (rest.length) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++n];
}

/**
 * CSV (RFC 4180): a header row, then one record a row; a quoted cell may hold
 * commas, doubled quotes and line breaks. Blank lines are skipped.
 */
export async function* csvRecords(
  chunks: AsyncIterable<string>,
): AsyncGenerator<{ cells: string[]; line: number }> {
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let start = 0;
  for await (const [text, n] of lines(chunks)) {
    if (!quoted) {
      if (text === '') continue;
      start = n;
    } else cell += '\n';
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c !== '"') cell += c;
        else if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else if (c === '"' && cell === '') quoted = true;
      else if (c === ',') {
        cells.push(cell);
        cell = '';
      } else cell += c;
    }
    if (cell.length > MAX_RECORD)
      throw new ImportFileError(`the record at line ${start} is over 1 MiB`);
    if (quoted) continue;
    cells.push(cell);
    yield { cells, line: start };
    cells = [];
    cell = '';
  }
  if (quoted) throw new ImportFileError(`the record at line ${start} ends inside a quoted cell`);
}

/** One CSV row: cells quoted when they hold a comma, a quote, a line break or edge spaces. */
export function csvRow(cells: readonly string[]): string {
  return `${cells.map((c) => (/[",\r\n]|^\s|\s$/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')}\n`;
}

/**
 * JSON: an array of objects, read one element at a time (the file is never
 * held whole), or NDJSON (one object a line). Which one: the first character.
 */
export async function* jsonRecords(
  chunks: AsyncIterable<string>,
): AsyncGenerator<{ value?: unknown; text: string; line: number; error?: string }> {
  const it = chunks[Symbol.asyncIterator]();
  let head = '';
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    head += r.value;
    if (head.replace(/^\uFEFF/, '').trimStart() !== '') break;
  }
  const body = head.replace(/^\uFEFF/, '');
  const again: AsyncIterable<string> = {
    async *[Symbol.asyncIterator]() {
      yield body;
      for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
    },
  };
  if (body.trimStart().startsWith('[')) yield* arrayElements(again);
  else
    for await (const [text, line] of lines(again)) {
      if (text.trim() === '') continue;
      yield parseOne(text, line);
    }
}

function parseOne(text: string, line: number) {
  try {
    return { value: JSON.parse(text) as unknown, text, line };
  } catch (e) {
    return { text, line, error: `not JSON: ${(e as Error).message}` };
  }
}

/** The elements of a top-level JSON array, scanned for their ends (strings and nesting respected). */
async function* arrayElements(chunks: AsyncIterable<string>) {
  let line = 1;
  let depth = -1; // -1: before the array's '['; 0: between elements
  let inString = false;
  let escaped = false;
  let buf = '';
  let startLine = 0;
  let ended = false;
  for await (const chunk of chunks) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === '\n') line++;
      if (ended) {
        if (!/\s/.test(c)) throw new ImportFileError(`text after the array at line ${line}`);
        continue;
      }
      if (depth === -1) {
        if (c === '[') depth = 0;
        continue;
      }
      if (inString) {
        buf += c;
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (depth === 0 && (c === ',' || c === ']')) {
        if (buf.trim() !== '') yield parseOne(buf, startLine);
        else if (c === ',') throw new ImportFileError(`an empty element at line ${line}`);
        buf = '';
        if (c === ']') ended = true;
        continue;
      }
      if (buf === '' && /\s/.test(c)) continue;
      if (buf === '') startLine = line;
      buf += c;
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') depth--;
      if (buf.length > MAX_RECORD)
        throw new ImportFileError(`the record at line ${startLine} is over 1 MiB`);
    }
  }
  if (!ended) throw new ImportFileError('the JSON array is not closed');
}
