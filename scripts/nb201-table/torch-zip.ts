/**
 * Reads what torch.save wrote without torch: since PyTorch 1.6 a .pt file is
 * an uncompressed zip whose `<archive>/data.pkl` holds the pickled object.
 * HELP's latency files pickle plain lists of numbers (no tensors), so the
 * restricted unpickler decodes them; a file with tensors would be refused
 * there (they are persistent ids).
 */
import { unpickle, type PickleValue } from './pickle';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** The stored (uncompressed) entries of a zip, by name, read through its central directory. */
export function zipEntries(data: Buffer, name = 'zip'): Map<string, Buffer> {
  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${name}: not a zip file (as torch.save writes since PyTorch 1.6)`);
  const count = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== CENTRAL) throw new Error(`${name}: broken zip central directory`);
    const method = data.readUInt16LE(at + 10);
    const size = data.readUInt32LE(at + 20);
    const nameLen = data.readUInt16LE(at + 28);
    const extraLen = data.readUInt16LE(at + 30);
    const commentLen = data.readUInt16LE(at + 32);
    const local = data.readUInt32LE(at + 42);
    const entry = data.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    // torch writes every entry stored; sizes of 0xffffffff would mean zip64, which small files never need.
    if (method !== 0 || size === 0xffffffff) throw new Error(`${name}: zip entry ${entry} is compressed or zip64, which torch.save does not write`);
    if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL) throw new Error(`${name}: broken zip entry ${entry}`);
    // The local header's own name and extra lengths (torch pads the extra field to align the data).
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    if (start + size > data.length) throw new Error(`${name}: zip entry ${entry} runs past the end of the file`);
    entries.set(entry, data.subarray(start, start + size));
  }
  return entries;
}

export function readTorchSave(data: Buffer, name = 'torch file'): PickleValue {
  const entries = zipEntries(data, name);
  const pkl = [...entries.keys()].find((k) => k.endsWith('/data.pkl') || k === 'data.pkl');
  if (pkl === undefined) throw new Error(`${name}: no data.pkl in the zip (found ${[...entries.keys()].join(', ')})`);
  return unpickle(entries.get(pkl)!, name);
}
