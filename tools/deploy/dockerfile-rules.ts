import { validate } from 'dockerfile-utils';

/**
 * Lints a Dockerfile: dockerfile-utils' validator (syntax, instructions, arguments), then hadolint-like
 * rules of ours. Each problem is one line; an empty list: the file holds.
 */
export function lintDockerfile(text: string, options: { port: number }): string[] {
  const problems = validate(text).map((diagnostic) => `line ${diagnostic.range.start.line + 1}: ${diagnostic.message}`);
  const lines = logicalLines(text);
  const instructions = lines.map(({ line, text: content }) => ({ line, keyword: content.split(/\s+/)[0]?.toUpperCase() ?? '', args: content.replace(/^\S+\s*/, '') }));
  const stages = instructions.filter((instruction) => instruction.keyword === 'FROM');
  const stageNames = new Set(stages.map((stage) => /\bAS\s+(\S+)/i.exec(stage.args)?.[1]?.toLowerCase()).filter((name): name is string => Boolean(name)));
  for (const stage of stages) {
    const image = stage.args.split(/\s+/).find((word) => !word.startsWith('--')) ?? '';
    if (stageNames.has(image.toLowerCase())) continue;
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    if (!tag && !image.includes('@sha256:')) problems.push(`line ${stage.line}: FROM ${image} must pin a tag`);
    else if (tag === 'latest' || tag === 'lts' || tag === 'current' || /^\d+(-[a-z]+)?$/.test(tag ?? '')) problems.push(`line ${stage.line}: FROM ${image} must pin an exact version, not ${tag}`);
  }
  if (stages.length < 2) problems.push('must be multi-stage (build, then a runtime without the build tools)');
  const runtime = instructions.slice(instructions.indexOf(stages.at(-1) ?? instructions[0]!));
  const user = runtime.filter((instruction) => instruction.keyword === 'USER').at(-1);
  if (!user) problems.push('the runtime stage must set USER');
  else if (!/^[1-9][0-9]*(:[0-9]+)?$/.test(user.args.trim())) problems.push(`line ${user.line}: USER ${user.args} must be a numeric non-root UID (runAsNonRoot can check it)`);
  for (const keyword of ['CMD', 'ENTRYPOINT']) {
    for (const instruction of instructions.filter((candidate) => candidate.keyword === keyword)) {
      if (!instruction.args.trim().startsWith('[')) problems.push(`line ${instruction.line}: ${keyword} must be exec form (JSON array) so SIGTERM reaches node`);
      else if (/"(sh|bash)"/.test(instruction.args)) problems.push(`line ${instruction.line}: ${keyword} must run node directly, not a shell`);
    }
  }
  if (!runtime.some((instruction) => instruction.keyword === 'ENTRYPOINT' || instruction.keyword === 'CMD')) problems.push('the runtime stage has no ENTRYPOINT or CMD');
  for (const instruction of runtime) {
    if (instruction.keyword === 'COPY' && !instruction.args.includes('--from=') && /^\.\s/.test(instruction.args.trim())) problems.push(`line ${instruction.line}: the runtime stage must not copy the whole build context`);
  }
  for (const instruction of instructions) {
    if (instruction.keyword === 'ADD') problems.push(`line ${instruction.line}: use COPY, not ADD`);
    if (instruction.keyword === 'RUN' && /\bnpm\s+(install|i)\b/.test(instruction.args)) problems.push(`line ${instruction.line}: npm ci, not npm install (the lock file, exactly)`);
    if (instruction.keyword === 'RUN' && /\b(curl|wget)\b[^|]*\|\s*(sh|bash)/.test(instruction.args)) problems.push(`line ${instruction.line}: no piping downloads into a shell`);
    if (instruction.keyword === 'RUN' && /\bsudo\b/.test(instruction.args)) problems.push(`line ${instruction.line}: no sudo`);
    if (instruction.keyword === 'RUN' && /(^|&&|;)\s*cd\s/.test(instruction.args)) problems.push(`line ${instruction.line}: use WORKDIR, not cd`);
    if (instruction.keyword === 'WORKDIR' && !instruction.args.trim().startsWith('/')) problems.push(`line ${instruction.line}: WORKDIR must be absolute`);
  }
  if (!instructions.some((instruction) => instruction.keyword === 'RUN' && /\bnpm ci\b/.test(instruction.args))) problems.push('dependencies must be installed with npm ci');
  if (!runtime.some((instruction) => instruction.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(instruction.args)) && !instructions.some((instruction) => instruction.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(instruction.args))) problems.push('production dependencies only: npm ci --omit=dev');
  const exposed = runtime.filter((instruction) => instruction.keyword === 'EXPOSE').map((instruction) => instruction.args.trim());
  if (exposed.join(' ') !== String(options.port)) problems.push(`must EXPOSE ${options.port} (the service's default port), not ${exposed.join(' ') || 'nothing'}`);
  return problems;
}

/** Instructions with their first line number, continuation lines joined, comments and blank lines dropped. */
function logicalLines(text: string): { line: number; text: string }[] {
  const result: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) return;
    if (current && line.startsWith('#')) return;
    const continued = line.endsWith('\\');
    const content = continued ? line.slice(0, -1) : line;
    if (current) current.text += ` ${content}`;
    else current = { line: index + 1, text: content };
    if (!continued) {
      result.push(current);
      current = undefined;
    }
  });
  if (current) result.push(current);
  return result;
}
