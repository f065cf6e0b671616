/**
 * The one error type of the data layer. Every failure to read or find data says which file (or
 * source) it was, what was expected, what was found and, for bytes, the offset.
 */

/** What a `DataError` is about; lets callers branch without parsing messages. */
export type DataErrorKind =
  | 'truncated' // the bytes end before the header or data says they should
  | 'corrupt' // bytes that cannot be what the format says (bad magic, bad deflate data, trailing bytes)
  | 'mislabelled' // a well-formed file that is not the one expected (wrong dtype, rank, size, labels)
  | 'not-found' // no directory had the files and downloading was not possible
  | 'checksum' // a downloaded file whose content does not match the published checksum
  | 'download' // the network or the server failed
  | 'io'; // the file system failed

/** A data-layer failure: `file`, what was `expected`, what was `found`, and the byte `offset`. */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly kind: DataErrorKind;
  readonly file: string;
  readonly expected: string;
  readonly found: string | undefined;
  readonly offset: number | undefined;
  readonly detail: string | undefined;

  constructor(fields: {
    readonly kind: DataErrorKind;
    readonly file: string;
    readonly expected: string;
    readonly found?: string | undefined;
    readonly offset?: number | undefined;
    readonly detail?: string | undefined;
  }) {
    const where = fields.offset === undefined ? '' : ` at byte offset ${fields.offset}`;
    const found = fields.found === undefined ? '' : `, found ${fields.found}`;
    const detail = fields.detail === undefined ? '' : `\n${fields.detail}`;
    super(`${fields.file}${where}: expected ${fields.expected}${found}${detail}`);
    this.kind = fields.kind;
    this.file = fields.file;
    this.expected = fields.expected;
    this.found = fields.found;
    this.offset = fields.offset;
    this.detail = fields.detail;
  }
}
