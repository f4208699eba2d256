/**
 * A restricted Python unpickler: lists, tuples, dicts, strings, ints, floats,
 * booleans and None, protocols 2 to 5. That is all the pinned source files
 * hold. Anything that names a class or calls a function (GLOBAL, REDUCE,
 * BUILD, persistent ids...) is refused, so a file can never make this run
 * code, and no numpy or torch is needed to read them.
 */

export type PickleKey = null | boolean | number | string;
export type PickleValue = PickleKey | PickleValue[] | Map<PickleKey, PickleValue>;

export class PickleError extends Error {}

const MARK = Symbol('mark');
type Slot = PickleValue | typeof MARK;

export function unpickle(data: Uint8Array, name = 'pickle'): PickleValue {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const fail = (what: string): never => {
    throw new PickleError(`${name}: ${what} at byte ${pos}`);
  };
  const take = (n: number): number => {
    if (pos + n > buf.length) fail('truncated pickle');
    const at = pos;
    pos += n;
    return at;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v;
  };
  /** Pops everything above the topmost mark, and the mark. */
  const popMark = (): PickleValue[] => {
    let i = stack.length - 1;
    while (i >= 0 && stack[i] !== MARK) i--;
    if (i < 0) fail('no mark on the stack');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v;
  };
  const list = (v: PickleValue): PickleValue[] => (Array.isArray(v) ? v : fail('APPEND to something not a list'));
  const dict = (v: PickleValue): Map<PickleKey, PickleValue> => (v instanceof Map ? v : fail('SETITEM on something not a dict'));
  const setItems = (d: Map<PickleKey, PickleValue>, kv: PickleValue[]): void => {
    for (let i = 0; i + 1 < kv.length; i += 2) {
      const k = kv[i]!;
      if (k !== null && typeof k === 'object') fail('a dict key that is not a string or number');
      d.set(k as PickleKey, kv[i + 1]!);
    }
  };
  const str = (n: number): string => buf.toString('utf8', take(n), pos);
  const int64 = (): number => {
    const n = buf.readBigUInt64LE(take(8));
    return n > BigInt(Number.MAX_SAFE_INTEGER) ? fail('length too large') : Number(n);
  };

  for (;;) {
    const op = buf[take(1)]!;
    switch (op) {
      case 0x80: // PROTO
        if (buf[take(1)]! > 5) fail('pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length prefix for buffering, nothing to decode
        take(8);
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(take(4)));
        break;
      case 0x4b: // BININT1
        stack.push(buf.readUInt8(take(1)));
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(take(2)));
        break;
      case 0x47: // BINFLOAT: big-endian IEEE double
        stack.push(buf.readDoubleBE(take(8)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(str(buf.readUInt8(take(1))));
        break;
      case 0x58: // BINUNICODE
        stack.push(str(buf.readUInt32LE(take(4))));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(str(int64()));
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE (tuples are read as arrays)
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x6c: // LIST
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        if (stack.length < n) fail('stack underflow');
        const items = stack.splice(stack.length - n);
        if (items.includes(MARK)) fail('mark inside a tuple');
        stack.push(items as PickleValue[]);
        break;
      }
      case 0x64: {
        // DICT
        const d = new Map<PickleKey, PickleValue>();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        list(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        list(top()).push(...items);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(dict(top()), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(dict(top()), items);
        break;
      }
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x71: // BINPUT
        memo.set(buf.readUInt8(take(1)), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(buf.readUInt32LE(take(4)), top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x68 ? buf.readUInt8(take(1)) : buf.readUInt32LE(take(4));
        if (!memo.has(key)) fail(`memo key ${key} is not set`);
        stack.push(memo.get(key)!);
        break;
      }
      default:
        pos--;
        fail(
          `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} ('${String.fromCharCode(op)}'); ` +
            'only plain lists, dicts, numbers and strings are read (no classes, so no numpy or torch objects)',
        );
    }
  }
}
