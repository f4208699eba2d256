import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { test } from 'node:test';

// docker-compose.yml cannot run here (no Docker engine), but it must parse
// and resolve: services, images, the GPU reservation, the workers' commands.
test('docker-compose.yml is a valid compose file with the expected services', async () => {
  const run = promisify(execFile);
  const { stdout } = await run('bash', ['scripts/check-compose.sh']);
  assert.match(stdout, /is valid/);
  const compose = process.env.COMPOSE_BIN ?? 'docker-compose';
  const { stdout: services } = await run(compose, ['-f', 'docker-compose.yml', 'config', '--services']);
  for (const s of ['postgresql', 'temporal', 'temporal-ui', 'control-worker', 'eval-worker']) {
    assert.match(services, new RegExp(`^${s}$`, 'm'));
  }
  const { stdout: full } = await run(compose, ['-f', 'docker-compose.yml', 'config']);
  assert.match(full, /driver: nvidia/);
  assert.match(full, /src\/workers\/eval\.ts/);
  // The eval worker decides which programs searches may run; the compose file leaves the list to its operator.
  assert.match(full, /COLLM_COMMAND_ALLOWED_PROGRAMS/);
  assert.doesNotMatch(full, /image: [^\n]*:latest/);
});

// The "metrics" profile: Prometheus scraping the workers' endpoints, Grafana with the dashboard.
test('docker-compose.yml: the metrics profile adds Prometheus and Grafana, and the workers expose their endpoints to them', async () => {
  const run = promisify(execFile);
  const compose = process.env.COMPOSE_BIN ?? 'docker-compose';
  const { stdout: full } = await run(compose, ['-f', 'docker-compose.yml', '--profile', 'metrics', 'config']);
  const service = (name: string): string => new RegExp(`^  ${name}:\n((?:    .*\n|\n)*)`, 'm').exec(full)?.[1] ?? '';
  for (const name of ['prometheus', 'grafana']) assert.match(service(name), /profiles:\n\s+- metrics/, name);
  for (const name of ['control-worker', 'eval-worker']) {
    assert.match(service(name), /COLLM_METRICS_ADDRESS: 0\.0\.0\.0:9464/, name);
    assert.doesNotMatch(service(name), /9464:9464/, `${name}: the endpoint is not published`);
  }
  assert.match(service('prometheus'), /deploy\/prometheus\/prometheus\.yml/);
  assert.match(service('grafana'), /deploy\/grafana\/collm-nas\.json/);
  // The Prometheus config is one Prometheus accepts, scraping both workers where compose names them.
  const promtool = process.env.PROMTOOL_BIN ?? 'promtool';
  const { stdout: checked } = await run(promtool, ['check', 'config', '--syntax-only', 'deploy/prometheus/prometheus.yml']);
  assert.match(checked, /SUCCESS/);
  const config = readFileSync('deploy/prometheus/prometheus.yml', 'utf8');
  for (const target of ['control-worker:9464', 'eval-worker:9464']) assert.ok(config.includes(`"${target}"`), target);
});
