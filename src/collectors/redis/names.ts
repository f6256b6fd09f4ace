import { isUtf8 } from 'node:buffer';

/**
 * Redis keys, group and consumer names are bytes; label values are UTF-8
 * text. A name that is valid UTF-8 is its own label. Any other is labelled
 * with a lossless escape: each byte that is not part of a valid UTF-8
 * sequence as `\xHH`, and a backslash as `\\`; `rawName` turns the label back
 * into the bytes, which is what commands on that object must send.
 */
export function labelOf(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let label = '';
  for (let i = 0; i < bytes.length;) {
    let n = 1;
    while (n <= 4 && !(i + n <= bytes.length && isUtf8(bytes.subarray(i, i + n)))) n++;
    if (n > 4) {
      label += `\\x${bytes[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      const text = bytes.toString('utf8', i, i + n);
      label += text === '\\' ? '\\\\' : text;
      i += n;
    }
  }
  return label;
}

/** The bytes of an escaped label (the inverse of labelOf for names that are not UTF-8). */
export function rawName(label: string): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  for (let i = 0; i < label.length; i++) {
    if (label[i] === '\\' && label[i + 1] === 'x') {
      parts.push(Buffer.from(text), Buffer.from([parseInt(label.slice(i + 2, i + 4), 16)]));
      text = '';
      i += 3;
    } else if (label[i] === '\\' && label[i + 1] === '\\') {
      text += '\\';
      i++;
    } else text += label[i];
  }
  parts.push(Buffer.from(text));
  return Buffer.concat(parts);
}

/** What commands send for a name: its label, or its bytes where the label is an escape. */
export type RedisName = string | Buffer;

/**
 * The names one collection met that are not UTF-8, label → bytes. Built
 * afresh for every collection (and every discovery pass), so it holds only
 * what exists now.
 */
export class RawNames {
  private readonly raw = new Map<string, Buffer>();

  get size(): number {
    return this.raw.size;
  }

  /** The label of `bytes`, remembering the bytes when the label is an escape. */
  label(bytes: Buffer): string {
    if (isUtf8(bytes)) return bytes.toString('utf8');
    const label = labelOf(bytes);
    this.raw.set(label, bytes);
    return label;
  }

  /** Takes over the names another set holds (discovery's, into a collection's). */
  addAll(other: RawNames): void {
    for (const [label, bytes] of other.raw) this.raw.set(label, bytes);
  }

  has(label: string): boolean {
    return this.raw.has(label);
  }

  arg(label: string): RedisName {
    return this.raw.get(label) ?? label;
  }

  /**
   * Every Buffer in a reply (read with a *Buffer command) as its label,
   * numbers and nesting kept: for replies that name things.
   */
  decodeReply(reply: unknown): unknown {
    if (Buffer.isBuffer(reply)) return this.label(reply);
    if (Array.isArray(reply)) return reply.map((r) => this.decodeReply(r));
    return reply;
  }
}

/** U+FFFD in a string reply: the name may have been bytes that are not UTF-8, and must be read again as bytes. */
export const REPLACEMENT_CHARACTER = '\ufffd';
