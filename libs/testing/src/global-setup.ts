import { provisionServices } from './provision';

/** jest globalSetup of the integration project: provisions the real services and exports their URLs. */
export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const env = await provisionServices((msg) => process.stderr.write(`[services] ${msg}\n`));
  Object.assign(process.env, env);
  process.stderr.write(`[services] ready in ${Date.now() - started} ms\n`);
}
