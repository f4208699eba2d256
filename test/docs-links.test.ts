/**
 * The documentation's links resolve: in README.md, BENCHMARKS.md,
 * python/README.md and every docs/*.md, each relative markdown link names a
 * file or folder of this repository, and each `#anchor` (within the same page
 * or into another .md page) names one of that page's headings, slugged as
 * GitHub slugs them. External http(s) links are not fetched (the tests run
 * offline); they only have to be well-formed URLs. Reads the real files; needs
 * no Temporal server.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const ROOT = resolve(__dirname, '..');

/** The pages whose links are checked, relative to the repository root. */
function pages(root: string): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
  return ['README.md', 'BENCHMARKS.md', 'python/README.md', ...docs];
}

/** The markdown outside fenced code blocks, fence lines blanked (line numbers kept). */
function withoutFences(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence === undefined) {
      if (open) {
        fence = open[1]!;
        return '';
      }
      return line;
    }
    if (open && open[1]![0] === fence[0] && open[1]!.length >= fence.length && line.trim() === open[1]) fence = undefined;
    return '';
  });
}

/** Inline code spans blanked, newlines kept, so that a link inside backticks is not a link. */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (span) => span.replace(/[^\n]/g, ' '));
}

/** GitHub's heading slug (github-slugger): lower case, punctuation and symbols dropped, each space a hyphen. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // inline HTML
    .replace(/[`*]/g, ''); // code and emphasis markers
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a page offers: its ATX headings' slugs (repeats numbered as GitHub numbers them) and HTML ids. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of withoutFences(markdown)) {
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (heading) {
      const base = githubSlug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  }
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[ref]: target`, outside code. */
export function links(markdown: string): Link[] {
  const text = withoutCodeSpans(withoutFences(markdown).join('\n'));
  const lineOf = (index: number): number => text.slice(0, index).split('\n').length;
  const out: Link[] = [];
  const inline = /!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*(<[^>\n]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
  for (const m of text.matchAll(inline)) out.push({ line: lineOf(m.index), target: m[1]!.replace(/^<|>$/g, '') });
  for (const m of text.matchAll(/^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)>?/gm)) out.push({ line: lineOf(m.index), target: m[1]! });
  for (const m of text.matchAll(/<(https?:\/\/[^>\s]+)>/g)) out.push({ line: lineOf(m.index), target: m[1]! });
  return out;
}

/** What is wrong with each link of one page (`page` relative to `root`); empty when every one resolves. */
export function brokenLinks(root: string, page: string): string[] {
  const file = join(root, page);
  const markdown = readFileSync(file, 'utf8');
  const anchorCache = new Map<string, Set<string>>();
  const anchorsOf = (path: string): Set<string> => {
    let set = anchorCache.get(path);
    if (!set) anchorCache.set(path, (set = anchors(readFileSync(path, 'utf8'))));
    return set;
  };
  const problems: string[] = [];
  for (const { line, target } of links(markdown)) {
    const where = `${page}:${line}: ${target}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
      if (/^https?:/i.test(target)) {
        try {
          new URL(target);
        } catch {
          problems.push(`${where}: not a well-formed URL`);
        }
      }
      continue;
    }
    const hash = target.indexOf('#');
    const pathPart = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    let path: string;
    try {
      path = pathPart === '' ? file : resolve(pathPart.startsWith('/') ? root : dirname(file), '.' + sep + decodeURIComponent(pathPart));
    } catch {
      problems.push(`${where}: malformed percent-encoding`);
      continue;
    }
    if (path !== root && !path.startsWith(root + sep)) {
      problems.push(`${where}: points outside the repository (${path})`);
      continue;
    }
    if (!existsSync(path)) {
      problems.push(`${where}: no such file or folder (${relative(root, path)})`);
      continue;
    }
    if (anchor === undefined) continue;
    if (anchor === '') {
      problems.push(`${where}: empty anchor`);
      continue;
    }
    if (path.endsWith('.md') && statSync(path).isFile() && !anchorsOf(path).has(anchor)) {
      const near = [...anchorsOf(path)].filter((a) => a.startsWith(anchor.slice(0, 8))).slice(0, 5);
      problems.push(`${where}: no heading with anchor #${anchor} in ${relative(root, path)}${near.length ? ` (similar: ${near.join(', ')})` : ''}`);
    }
  }
  return problems;
}

for (const page of pages(ROOT)) {
  test(`every link in ${page} resolves`, () => {
    assert.ok(existsSync(join(ROOT, page)), `${page} is missing`);
    const problems = brokenLinks(ROOT, page);
    assert.deepEqual(problems, [], `broken links:\n${problems.join('\n')}`);
  });
}

test('the README links to every docs page and to BENCHMARKS.md; every docs page links back to the README', () => {
  const fromReadme = new Set(
    links(readFileSync(join(ROOT, 'README.md'), 'utf8'))
      .map((l) => l.target.split('#')[0]!)
      .filter((t) => t !== ''),
  );
  const docs = pages(ROOT).filter((p) => p.startsWith('docs/'));
  assert.ok(docs.length > 0, 'docs/ has no pages');
  const unlinked = [...docs, 'BENCHMARKS.md'].filter((p) => !fromReadme.has(p));
  assert.deepEqual(unlinked, [], `README.md does not link to: ${unlinked.join(', ')}`);
  const noWayBack = docs.filter((p) => !links(readFileSync(join(ROOT, p), 'utf8')).some((l) => l.target.split('#')[0] === '../README.md'));
  assert.deepEqual(noWayBack, [], `no link back to the README in: ${noWayBack.join(', ')}`);
});

test('the checker finds broken files and anchors, and ignores code', () => {
  const root = mkdtempSync(join(tmpdir(), 'docs-links-'));
  try {
    mkdirSync(join(root, 'docs'));
    writeFileSync(
      join(root, 'docs', 'a.md'),
      [
        '# Page A',
        '## The `command` evaluator: security, v2.1',
        '## Repeat',
        '## Repeat',
        '```sh',
        '# not a heading',
        '[in a fence](missing-in-fence.md)',
        '```',
        'Good: [b](b.md#section-one), [self](#the-command-evaluator-security-v21), [second](#repeat-1),',
        '[folder](../docs/), [site](https://example.com/x#y), `[in code](missing-in-code.md)`.',
        'Bad: [gone](gone.md), [anchor](b.md#no-such-heading), [self](#not-a-heading),',
        '[outside](../../etc/passwd), [fence heading](#not-a-heading-1).',
        '[ref]: missing-ref.md',
      ].join('\n'),
    );
    writeFileSync(join(root, 'docs', 'b.md'), '# B\n\n## Section one\n');
    const problems = brokenLinks(root, 'docs/a.md');
    const targets = problems.map((p) => p.split(': ')[1]);
    assert.deepEqual(targets, ['gone.md', 'b.md#no-such-heading', '#not-a-heading', '../../etc/passwd', '#not-a-heading-1', 'missing-ref.md']);
    assert.deepEqual(brokenLinks(root, 'docs/b.md'), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('slugs are GitHub\'s', () => {
  assert.equal(githubSlug("OFA MobileNetV3 (w1.2) with OFA's accuracy predictor"), 'ofa-mobilenetv3-w12-with-ofas-accuracy-predictor');
  assert.equal(githubSlug('collm-v3 in free mode (the default, what `npm start` runs), CIFAR-10, 10 seeds'), 'collm-v3-in-free-mode-the-default-what-npm-start-runs-cifar-10-10-seeds');
  assert.equal(githubSlug('Cost ≤ 20 ms × 2'), 'cost--20-ms--2');
  assert.equal(githubSlug('snake_case and **bold**'), 'snake_case-and-bold');
});
