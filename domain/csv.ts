// CSV as RFC 4180 writes it: comma-separated fields, double quotes around a field holding a comma, a quote
// (doubled) or a line break; CRLF or LF between records. A UTF-8 byte-order mark is ignored.

export interface CsvRecord {
  line: number; // the file line the record starts on (1 = the header)
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = new.target.name;
  }
}

// Every record, blank lines skipped. Throws CsvSyntaxError for a quote left open or text after a closing quote.
export function parseCsv(text: string): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let i = 0;
  const endRecord = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ line: start, fields });
    fields = [];
    field = '';
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '"' && field === '') {
      const opened = line;
      i++;
      for (;;) {
        if (i >= src.length) throw new CsvSyntaxError(opened, 'a quoted field is not closed');
        if (src[i] === '"') {
          if (src[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (src[i] === '\n') line++;
        field += src[i++];
      }
      const next = src[i];
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r')
        throw new CsvSyntaxError(line, 'text after a closing quote (a quote inside a field must be doubled)');
      continue;
    }
    if (c === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\r' || c === '\n') {
      endRecord();
      i += c === '\r' && src[i + 1] === '\n' ? 2 : 1;
      line++;
      start = line;
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || fields.length) endRecord();
  return records;
}
