#!/usr/bin/env node
// The `repro` command line: the same core as the extension, for terminals and pipelines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { dataCacheCommand, dataCloneCommand, dataScanCommand } from './cli/data';
import { driftCommand } from './cli/drift';
import { CliError, EXIT } from './cli/exitCodes';
import { importCommand } from './cli/import';
import { processIo, type Io } from './cli/output';
import { planCommand } from './cli/plan';
import { receiptCommand, reproduceCommand, sessionsCommand } from './cli/reproduce';
import { downCommand, execCommand, logsCommand, psCommand, upCommand } from './cli/stack';
import { stateCommand } from './cli/state';
import { validateCommand } from './cli/validate';

const USAGE = `Usage: repro <command> [options]

Commands:
  validate [dir]              check repro.yaml (or what would be imported) and list every problem
  import [dir]                write repro.yaml from .upsun/config.yaml, Platform.sh files,
                              .devcontainer/devcontainer.json or compose files
      --force                 replace an existing repro.yaml
      --stdout                print the manifest instead of writing it
  plan [dir]                  show the containers, networks and volumes a reproduction creates
      --json                  as JSON
      --name <session>        session name (default: the project name)
      --source <dir>          the code the apps run (default: dir)
  up [dir]                    start the stack on the container engine, isolated, and wait
                              until every service is healthy
      --name <session>        session name (default: the project name)
      --source <dir>          the code the apps run (default: dir)
  ps [--json]                 list sessions and their containers
  logs [service]              print a session's logs, every service interleaved
      -f, --follow            keep streaming
      --tail <n>              only the last n lines per service
      --session <name>        which session (default: the project's, or the only one)
  exec <service> -- <cmd...>  run a command in a service's container (--session as above)
  down [name] [--all]         stop a session and remove its containers, networks, volumes,
                              and its worktree unless files in it were changed
      --discard               remove the worktree even when it has changes
  reproduce <link|file|->     reproduce an incident from a reproduce link, an alert payload
                              file (Alertmanager, Grafana, PagerDuty, Sentry, Datadog,
                              Opsgenie) or - for a payload on standard input: its commit in
                              an isolated worktree, its stack on the engine, a receipt
      --dir <dir>             the project's clone (default: the current folder)
      --yes                   do not ask for confirmation
      --name <session>        session name (default: project and incident id)
      --remote <name>         remote to fetch a missing commit from (default: origin)
      --rules-from <whose>    the scrub rules: incident (repro.yaml at the incident's
                              commit, default) or workspace (the checkout's repro.yaml)
  data scan [dir]             the coverage gate: columns of the dumps that look personal and
                              have no scrub rule (exit 1 when there is one)
  data clone [service]        clone production-shaped, scrubbed data into a running session
      --dir <dir>             the project (default: the current folder)
      --session <name>        which session (default: the project's, or the only one)
      --replace               drop what the session's database holds first
  data cache                  the scrubbed snapshots kept for the next clone of the same data
                              (in REPRO_HOME, and the engine's copies of their data folders)
      --clear                 remove them all: the next clone reads its source again
  sessions [--json]           list reproductions (their receipts) and whether they still run
  receipt <session> [--json]  print a reproduction's receipt (Markdown, or JSON)
  drift [dir]                 an environment's published state against repro.yaml, the
                              manifest at its commit, the local session, compose files and
                              this machine's toolchain (exit 0 in sync, 2 drift, 1 error)
      --env <name>            the environment (default: production, else the first declared)
      --session <name>        the local session (default: the project's)
      --timeout <seconds>     for the state's URL or command (default 10)
      --json                  as JSON
  state [dir]                 the published state document of a running session (commit,
                              manifest hash, versions, digests, env var names) for a deploy
                              pipeline to publish
      --session <name>        which session (default: the project's, or the only one)
      --env <name>            the environment it describes
      --commit <sha>          the deployed commit (default: HEAD)
      --flags <file.json>     feature flag values to include
      --out <file>            write it there instead of standard output

Payload links (payload=https://...) are fetched only from hosts in REPRO_TRUSTED_ALERT_HOSTS
(comma-separated: alerts.example.com,*.example.org). Files go under REPRO_HOME (default
~/.local/state/repro).

Engine: repro.engine.host / REPRO_ENGINE_HOST, else DOCKER_HOST, the Docker context, the
default Docker and Podman sockets.

Exit codes: 0 ok, 1 invalid manifest, refused incident or failure, 2 drift found, 64 usage error, 66 nothing to read,
73 refused to overwrite, 130 cancelled; exec exits with the command's code.`;

export async function main(argv: string[], io: Io = processIo(), signal: AbortSignal = new AbortController().signal): Promise<number> {
  const [command, ...rest] = argv;
  // "repro <command> --help" prints the usage rather than an unknown-option error; after "--"
  // the words belong to the command run by exec.
  const own = rest.indexOf('--') < 0 ? rest : rest.slice(0, rest.indexOf('--'));
  if (command !== undefined && (own.includes('--help') || own.includes('-h'))) {
    io.out(USAGE);
    return EXIT.ok;
  }
  try {
    switch (command) {
      case 'validate': {
        const { positionals } = parse(rest, {});
        return validateCommand(io, dirOf(io, positionals));
      }
      case 'import': {
        const { values, positionals } = parse(rest, { force: { type: 'boolean' }, stdout: { type: 'boolean' } });
        return importCommand(io, dirOf(io, positionals), { force: Boolean(values.force), stdout: Boolean(values.stdout) });
      }
      case 'plan': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' }, name: { type: 'string' }, source: { type: 'string' } });
        return await planCommand(io, dirOf(io, positionals), {
          json: Boolean(values.json),
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          ...(typeof values.source === 'string' ? { source: values.source } : {}),
        });
      }
      case 'up': {
        const { values, positionals } = parse(rest, { name: { type: 'string' }, source: { type: 'string' } });
        return await upCommand(io, dirOf(io, positionals), {
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          ...(typeof values.source === 'string' ? { source: values.source } : {}),
        }, signal);
      }
      case 'ps': {
        const { values } = parse(rest, { json: { type: 'boolean' } });
        return await psCommand(io, { json: Boolean(values.json) });
      }
      case 'logs': {
        const { values, positionals } = parse(rest, { follow: { type: 'boolean', short: 'f' }, session: { type: 'string' }, tail: { type: 'string' } });
        if (positionals.length > 1) throw new CliError(`expected at most one service, got: ${positionals.join(' ')}`, EXIT.usage);
        const tail = typeof values.tail === 'string' ? Number(values.tail) : undefined;
        if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0)) throw new CliError(`--tail takes a whole number, got "${String(values.tail)}"`, EXIT.usage);
        return await logsCommand(io, io.cwd, {
          follow: Boolean(values.follow),
          ...(typeof values.session === 'string' ? { session: values.session } : {}),
          ...(positionals[0] ? { service: positionals[0] } : {}),
          ...(tail !== undefined ? { tail } : {}),
        }, signal);
      }
      case 'exec': {
        const dash = rest.indexOf('--');
        const { values, positionals } = parse(dash < 0 ? rest : rest.slice(0, dash), { session: { type: 'string' } });
        if (positionals.length !== 1 || dash < 0) throw new CliError('usage: repro exec <service> -- <command...>', EXIT.usage);
        return await execCommand(io, io.cwd, { service: positionals[0]!, cmd: rest.slice(dash + 1), ...(typeof values.session === 'string' ? { session: values.session } : {}) }, signal);
      }
      case 'down': {
        const { values, positionals } = parse(rest, { all: { type: 'boolean' }, discard: { type: 'boolean' } });
        if (positionals.length > 1 || (values.all && positionals.length)) throw new CliError('usage: repro down [name] [--discard] | repro down --all', EXIT.usage);
        return await downCommand(io, io.cwd, { all: Boolean(values.all), discard: Boolean(values.discard), ...(positionals[0] ? { name: positionals[0] } : {}) });
      }
      case 'reproduce': {
        const { values, positionals } = parse(rest, { dir: { type: 'string' }, yes: { type: 'boolean', short: 'y' }, name: { type: 'string' }, remote: { type: 'string' }, 'rules-from': { type: 'string' } });
        if (positionals.length !== 1) throw new CliError('usage: repro reproduce <link|payload-file|-> [--dir <clone>] [--yes]', EXIT.usage);
        const rulesFrom = values['rules-from'];
        if (rulesFrom !== undefined && rulesFrom !== 'incident' && rulesFrom !== 'workspace') {
          throw new CliError(`--rules-from takes incident or workspace, not "${String(rulesFrom)}"`, EXIT.usage);
        }
        return await reproduceCommand(io, positionals[0]!, {
          ...(rulesFrom ? { rulesFrom } : {}),
          dir: existingDir(io, typeof values.dir === 'string' ? values.dir : undefined),
          yes: Boolean(values.yes),
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
          ...(typeof values.remote === 'string' ? { remote: values.remote } : {}),
        }, signal);
      }
      case 'data': {
        const [sub, ...args] = rest;
        if (sub === 'scan') {
          const { positionals } = parse(args, {});
          return await dataScanCommand(io, dirOf(io, positionals));
        }
        if (sub === 'clone') {
          const { values, positionals } = parse(args, { dir: { type: 'string' }, session: { type: 'string' }, replace: { type: 'boolean' } });
          if (positionals.length > 1) throw new CliError('usage: repro data clone [service] [--session <name>] [--dir <dir>] [--replace]', EXIT.usage);
          return await dataCloneCommand(io, existingDir(io, typeof values.dir === 'string' ? values.dir : undefined), {
            replace: Boolean(values.replace),
            ...(positionals[0] ? { service: positionals[0] } : {}),
            ...(typeof values.session === 'string' ? { session: values.session } : {}),
          }, signal);
        }
        if (sub === 'cache') {
          const { values, positionals } = parse(args, { clear: { type: 'boolean' } });
          if (positionals.length) throw new CliError('usage: repro data cache [--clear]', EXIT.usage);
          return await dataCacheCommand(io, { clear: Boolean(values.clear) });
        }
        throw new CliError('usage: repro data scan [dir] | repro data clone [service] | repro data cache [--clear]', EXIT.usage);
      }
      case 'sessions': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
        if (positionals.length) throw new CliError('usage: repro sessions [--json]', EXIT.usage);
        return await sessionsCommand(io, { json: Boolean(values.json) });
      }
      case 'receipt': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
        if (positionals.length !== 1) throw new CliError('usage: repro receipt <session> [--json]', EXIT.usage);
        return receiptCommand(io, positionals[0]!, { json: Boolean(values.json) });
      }
      case 'drift': {
        const { values, positionals } = parse(rest, { env: { type: 'string' }, session: { type: 'string' }, json: { type: 'boolean' }, timeout: { type: 'string' } });
        const timeout = typeof values.timeout === 'string' ? Number(values.timeout) : undefined;
        if (timeout !== undefined && !(timeout > 0 && timeout <= 600)) throw new CliError(`--timeout takes seconds between 0 and 600, got "${String(values.timeout)}"`, EXIT.usage);
        return await driftCommand(io, dirOf(io, positionals), {
          json: Boolean(values.json),
          ...(typeof values.env === 'string' ? { env: values.env } : {}),
          ...(typeof values.session === 'string' ? { session: values.session } : {}),
          ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        }, signal);
      }
      case 'state': {
        const { values, positionals } = parse(rest, { session: { type: 'string' }, env: { type: 'string' }, commit: { type: 'string' }, flags: { type: 'string' }, out: { type: 'string' } });
        const str = (k: string) => (typeof values[k] === 'string' ? { [k]: values[k] as string } : {});
        return await stateCommand(io, dirOf(io, positionals), { ...str('session'), ...str('env'), ...str('commit'), ...str('flags'), ...str('out') }, signal);
      }
      case undefined: case '-h': case '--help': case 'help':
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new CliError(`unknown command "${command}"\n\n${USAGE}`, EXIT.usage);
    }
  } catch (e) {
    if (e instanceof OptionError) {
      io.err(`repro: ${e.message}\n\n${commandUsage(argv)}`);
      return e.exitCode;
    }
    if (e instanceof CliError) {
      io.err(`repro: ${e.message}`);
      return e.exitCode;
    }
    // What the command was doing has been undone by the time its error arrives; the error
    // itself is only the abort's ("This operation was aborted").
    if (signal.aborted) {
      io.err('repro: cancelled');
      return EXIT.cancelled;
    }
    io.err(`repro: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.error;
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse(args: string[], options: Options): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    // parseArgs's own wording for an unknown option is long and its quotes do not pair.
    const unknown = (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec((e as Error).message)?.[1] : undefined;
    const known = Object.keys(options ?? {}).map((o) => `--${o}`).join(', ');
    const message = unknown ? `unknown option ${unknown}${known ? ` (this command takes ${known})` : ' (this command takes none)'}` : (e as Error).message;
    throw new OptionError(message);
  }
}

/** An option the command does not take: main prints the command's own usage after it. */
class OptionError extends CliError {
  constructor(message: string) { super(message, EXIT.usage); }
}

/**
 * The lines of USAGE about the command `argv` names ("data clone", "up"), with its options;
 * a pointer to the rest. The whole list after a mistyped option buries the one line that matters.
 */
function commandUsage(argv: string[]): string {
  const lines = USAGE.split('\n');
  for (const name of [argv.slice(0, 2).join(' '), argv[0] ?? '']) {
    const start = lines.findIndex((l) => l.startsWith(`  ${name} `) || l === `  ${name}`);
    if (!name || start < 0) continue;
    let end = start + 1;
    while (end < lines.length && lines[end]!.startsWith('      ')) end++;
    return `${lines.slice(start, end).join('\n')}\n(repro --help lists every command)`;
  }
  return USAGE;
}

function dirOf(io: Io, positionals: string[]): string {
  if (positionals.length > 1) throw new CliError(`expected at most one folder, got: ${positionals.join(' ')}`, EXIT.usage);
  return existingDir(io, positionals[0]);
}

/** `given` (else the current folder), resolved; a folder that is not there says so, not "no repro.yaml". */
function existingDir(io: Io, given: string | undefined): string {
  const dir = path.resolve(io.cwd, given ?? '.');
  let stat: fs.Stats | undefined;
  try { stat = fs.statSync(dir); } catch { /* below */ }
  if (!stat) throw new CliError(`the folder ${dir} does not exist`, EXIT.noInput);
  if (!stat.isDirectory()) throw new CliError(`${dir} is a file, not a folder: give the project's folder (the one with repro.yaml)`, EXIT.usage);
  return dir;
}

if (require.main === module) {
  // Ctrl-C cancels the running command cleanly (a starting session removes what it created);
  // a second Ctrl-C exits at once.
  const controller = new AbortController();
  const argv = process.argv.slice(2);
  // Ctrl-C is how following logs ends, not a cancel to announce.
  const following = argv[0] === 'logs' && argv.some((a) => a === '-f' || a === '--follow');
  process.once('SIGINT', () => {
    if (!following) process.stderr.write('\ncancelling: undoing what was under way (Ctrl-C again to exit at once, leaving it as it is)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(EXIT.cancelled));
  });
  // A reader that stops early (`repro ps | head -1`) closes the pipe: stop as Ctrl-C stops the
  // command (quietly: nobody is reading), instead of a stack trace for the failed write.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    controller.abort();
  });
  main(argv, processIo(), controller.signal).then((code) => { process.exitCode = code; });
}
