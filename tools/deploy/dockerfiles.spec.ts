import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PORTS, SERVICE_NAMES } from '@authz/platform';
import { SERVICES, renderAll } from './generate-dockerfiles.cjs';
import { lintDockerfile } from './dockerfile-rules';

// deploy/docker: one Dockerfile per service, generated from Dockerfile.template, linted.

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('deploy/docker', () => {
  it('has one Dockerfile per service, each equal to the generator output (node tools/deploy/generate-dockerfiles.cjs)', () => {
    expect(Object.keys(SERVICES).sort()).toEqual([...SERVICE_NAMES].sort());
    const expected = renderAll();
    expect(readdirSync(join(root, 'deploy', 'docker')).filter((file) => file.endsWith('.Dockerfile')).sort()).toEqual(SERVICE_NAMES.map((name) => `${name}.Dockerfile`).sort());
    for (const [path, content] of Object.entries(expected)) expect({ path, content: read(path) }).toEqual({ path, content });
  });

  it.each([...SERVICE_NAMES])('%s.Dockerfile passes the lint, exposes the default port and runs its own main', (name) => {
    expect(SERVICES[name]?.port).toBe(DEFAULT_PORTS[name]);
    const text = read(`deploy/docker/${name}.Dockerfile`);
    expect(lintDockerfile(text, { port: DEFAULT_PORTS[name] })).toEqual([]);
    expect(text).toContain(`CMD ["dist/apps/${name}/src/main.js"]`);
    expect(existsSync(join(root, 'apps', name, 'src', 'main.ts'))).toBe(true);
  });

  it('the migrations CLI the image runs exists', () => {
    expect(existsSync(join(root, 'libs/adapters/src/postgres/migrate.cli.ts'))).toBe(true);
    expect(read('deploy/docker/Dockerfile.template')).toContain('ENTRYPOINT ["node", "-r", "./tools/aliases.cjs"]');
  });

  it('.dockerignore keeps node_modules, dist and everything unlisted out of the build context', () => {
    const lines = read('.dockerignore').split('\n').filter((line) => line && !line.startsWith('#'));
    expect(lines[0]).toBe('**');
    expect(lines).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '!package-lock.json', '!apps/**', '!libs/**', '!tools/aliases.cjs']));
  });

  describe('the lint bites', () => {
    const good = read('deploy/docker/token.Dockerfile');
    const cases: [string, string, string][] = [
      ['an unpinned base', good.replace('FROM node:24.21.0-slim AS build', 'FROM node AS build'), 'FROM node must pin a tag'],
      ['latest', good.replace('FROM node:24.21.0-slim AS deps', 'FROM node:latest AS deps'), 'FROM node:latest must pin an exact version, not latest'],
      ['a major-only tag', good.replace(/FROM node:24\.21\.0-slim\n/, 'FROM node:24-slim\n'), 'FROM node:24-slim must pin an exact version, not 24-slim'],
      ['no USER', good.replace('USER 10001:10001\n', ''), 'the runtime stage must set USER'],
      ['a named user', good.replace('USER 10001:10001', 'USER node'), 'USER node must be a numeric non-root UID (runAsNonRoot can check it)'],
      ['root', good.replace('USER 10001:10001', 'USER 0'), 'USER 0 must be a numeric non-root UID (runAsNonRoot can check it)'],
      ['shell-form CMD', good.replace('CMD ["dist/apps/token/src/main.js"]', 'CMD node dist/apps/token/src/main.js'), 'CMD must be exec form (JSON array) so SIGTERM reaches node'],
      ['a shell ENTRYPOINT', good.replace('ENTRYPOINT ["node", "-r", "./tools/aliases.cjs"]', 'ENTRYPOINT ["sh", "-c", "exec node"]'), 'ENTRYPOINT must run node directly, not a shell'],
      ['npm install', good.replace('RUN npm ci --no-audit', 'RUN npm install --no-audit'), 'npm ci, not npm install (the lock file, exactly)'],
      ['ADD', good.replace('COPY deploy/seed ./deploy/seed', 'ADD deploy/seed ./deploy/seed'), 'use COPY, not ADD'],
      ['dev dependencies', good.replace('--omit=dev ', ''), 'production dependencies only: npm ci --omit=dev'],
      ['the wrong port', good.replace('EXPOSE 8082', 'EXPOSE 8080'), "must EXPOSE 8082 (the service's default port), not 8080"],
      ['an unknown instruction', good.replace('WORKDIR /app', 'WORKDIRR /app'), 'Unknown instruction: WORKDIRR'],
      ['cd', good.replace('RUN npm run build', 'RUN cd libs && npm run build'), 'use WORKDIR, not cd'],
      ['a relative WORKDIR', good.replace('WORKDIR /app', 'WORKDIR app'), 'WORKDIR must be absolute'],
      ['the whole context in the runtime', good.replace('COPY deploy/seed ./deploy/seed', 'COPY . .'), 'the runtime stage must not copy the whole build context'],
      ['a single stage', good.replace(/^FROM node:24\.21\.0-slim AS build[\s\S]*?(?=^FROM node:24\.21\.0-slim\n)/m, '').replace(/^FROM node:24\.21\.0-slim AS deps[\s\S]*?(?=^FROM node:24\.21\.0-slim\n)/m, ''), 'must be multi-stage (build, then a runtime without the build tools)'],
    ];
    it.each(cases)('%s', (_name, text, problem) => {
      expect(lintDockerfile(text, { port: 8082 }).map((line) => line.replace(/^line \d+: /, ''))).toContain(problem);
    });
  });
});
