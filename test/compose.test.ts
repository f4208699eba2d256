import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
