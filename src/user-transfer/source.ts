import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import {
  csvRecords,
  csvRow,
  formatOf,
  ImportFileError,
  jsonRecords,
  openText,
  type Format,
  type SourceRecord,
} from './read.js';
import { columnOf } from './rows.js';

/** At most this many unknown column names are remembered for the summary. */
const MAX_IGNORED = 50;

/** The records of an import file, with the columns it ignored and how far the read has got. */
export async function openSource(path: string, format: string | undefined, hashPlaintext: boolean) {
  const fmt = formatOf(path, format);
  const file = await openText(path);
  const ignored = new Set<string>();
  let header: string[] | undefined;
  const note = (k: string) => {
    if (columnOf(k) === undefined && ignored.size < MAX_IGNORED) ignored.add(k);
  };

  async function* csv(): AsyncGenerator<SourceRecord> {
    let row = 0;
    for await (const { cells, line } of csvRecords(file.chunks)) {
      if (!header) {
        header = cells.map((c) => c.trim());
        const cols = header.map(columnOf);
        if (!cols.includes('username'))
          throw new ImportFileError('the header row has no username column');
        if (cols.includes('password') && !hashPlaintext)
          throw new ImportFileError(
            'the file has a plain-text password column: give password_hash instead, or run with --hash-plaintext',
          );
        header.forEach(note);
        continue;
      }
      row++;
      if (cells.length !== header.length)
        yield {
          row,
          line,
          raw: cells,
          error: `${cells.length} cells where the header has ${header.length}`,
        };
      else
        yield {
          row,
          line,
          raw: cells,
          fields: Object.fromEntries(header.map((h, i) => [h, cells[i]])),
        };
    }
  }

  async function* json(): AsyncGenerator<SourceRecord> {
    let row = 0;
    for await (const r of jsonRecords(file.chunks)) {
      row++;
      const v = r.value;
      if (r.error) yield { row, line: r.line, raw: r.text, error: r.error };
      else if (v === null || typeof v !== 'object' || Array.isArray(v))
        yield { row, line: r.line, raw: v, error: 'not a JSON object' };
      else {
        Object.keys(v).forEach(note);
        yield { row, line: r.line, raw: v, fields: v as Record<string, unknown> };
      }
    }
  }

  return {
    format: fmt,
    size: file.size,
    bytes: file.bytes,
    records: fmt === 'csv' ? csv() : json(),
    ignored: () => [...ignored],
    header: () => header,
  };
}

/**
 * The --errors file: the failed records as they were read, with their row
 * number and reason, in the input's format (CSV: two more columns; JSON: NDJSON
 * with `_row` and `_error`), so it can be fixed and imported again. It may hold
 * password hashes: created readable by its owner only.
 */
export function errorsFile(path: string, format: Format, header: () => string[] | undefined) {
  let out: WriteStream | undefined;
  let wroteHeader = false;
  const write = async (s: string) => {
    out ??= createWriteStream(path, { mode: 0o600 });
    if (!out.write(s)) await once(out, 'drain');
  };
  return {
    async add(r: SourceRecord, error: string): Promise<void> {
      if (format === 'json') {
        const base =
          r.raw !== null && typeof r.raw === 'object' && !Array.isArray(r.raw)
            ? r.raw
            : { _record: r.raw };
        return write(`${JSON.stringify({ ...base, _row: r.row, _error: error })}\n`);
      }
      if (!wroteHeader) {
        await write(csvRow([...(header() ?? []), 'row', 'error']));
        wroteHeader = true;
      }
      return write(csvRow([...(r.raw as string[]), String(r.row), error]));
    },
    async close(): Promise<void> {
      if (!out) await write('');
      out!.end();
      await once(out!, 'finish');
    },
  };
}
