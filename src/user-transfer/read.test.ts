import { describe, expect, it } from 'vitest';
import { csvRecords, csvRow, jsonRecords } from './read.js';

/** The input as arbitrary chunks, as a file stream hands it over. */
async function* chunked(text: string, size: number) {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}
const all = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

/** The import's readers, which never hold the whole file. @see issue 17 §4 */
describe('import file readers', () => {
  it('CSV: quotes, doubled quotes, line breaks in a cell, CRLF, a byte-order mark, blank lines', async () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\r\n\r\n"two\r\nlines",2,3\n';
    for (const size of [1, 3, 1000]) {
      const rows = await all(csvRecords(chunked(text, size)));
      expect(rows).toEqual([
        { cells: ['a', 'b', 'c'], line: 1 },
        { cells: ['x, y', 'say "hi"', ''], line: 2 },
        { cells: ['two\nlines', '2', '3'], line: 4 },
      ]);
    }
    const back = await all(csvRecords(chunked(csvRow(['x, y', 'say "hi"', ' lead', 'a\nb']), 7)));
    expect(back[0]!.cells).toEqual(['x, y', 'say "hi"', ' lead', 'a\nb']);
    await expect(all(csvRecords(chunked('a\n"open', 4)))).rejects.toThrow(/inside a quoted cell/);
  });

  it('JSON: an array read element by element (brackets inside strings too), or NDJSON', async () => {
    const arr = ' [\n{"u":"a]}[{","n":{"x":[1,2]}},\n {"u":"b\\"}"} ,\n42,\n{"bad":}\n]\n';
    for (const size of [1, 5, 1000]) {
      const rows = await all(jsonRecords(chunked(arr, size)));
      expect(rows.map((r) => [r.value, r.line, r.error !== undefined])).toEqual([
        [{ u: 'a]}[{', n: { x: [1, 2] } }, 2, false],
        [{ u: 'b"}' }, 3, false],
        [42, 4, false],
        [undefined, 5, true],
      ]);
    }
    const nd = await all(jsonRecords(chunked('{"u":"a"}\n\n{"u":"b"}\r\nnope\n', 3)));
    expect(nd.map((r) => [r.value, r.line, r.error !== undefined])).toEqual([
      [{ u: 'a' }, 1, false],
      [{ u: 'b' }, 3, false],
      [undefined, 4, true],
    ]);
    await expect(all(jsonRecords(chunked('[{"u":1}', 2)))).rejects.toThrow(/not closed/);
    await expect(all(jsonRecords(chunked('[{"u":1}] x', 2)))).rejects.toThrow(/after the array/);
  });
});
