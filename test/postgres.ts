// A throwaway PostgreSQL server for the test run: Debian's server binaries, a fresh data folder
// and a fresh loopback port each run, trust authentication, no fsync. Stopped and deleted at the end.
import { execFile, spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'closedloop-pg-';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb, pg_ctl and postgres. */
export function findPostgresBin(root = '/usr/lib/postgresql'): string {
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => ['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(root, v, 'bin', b))))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `The PostgreSQL store tests need a PostgreSQL server (initdb, pg_ctl) under ${root}/<version>/bin, and none was found. ` +
        'Install it with: CLOSEDLOOP_NEED_PG=1 bash scripts/tools.sh',
    );
  }
  return join(root, newest, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The uid and gid of the `postgres` system user (initdb refuses to run as root). */
function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) {
    throw new Error(
      'Running as root, the PostgreSQL tests run the server as the "postgres" user, which does not exist. ' +
        'Install the server with: CLOSEDLOOP_NEED_PG=1 bash scripts/tools.sh',
    );
  }
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Cleans up after earlier runs that died before their teardown (killed test runner): their server
 * is shut down (SIGQUIT: immediate) and their folder deleted. A folder whose runner still lives is
 * another run going on now, and is left alone.
 */
export function removeStale(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(tmpdir(), name);
    try {
      const ownerFile = join(dir, 'owner');
      const owner = existsSync(ownerFile) ? Number(readFileSync(ownerFile, 'utf8')) : 0;
      if (owner > 0 ? alive(owner) : Date.now() - statSync(dir).mtimeMs < 60 * 60_000) continue;
      const pidFile = join(dir, 'data', 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGQUIT');
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours to stop or delete: leave it.
    }
  }
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  removeStale();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), PREFIX));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  const data = join(dir, 'data');
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C' };
  const exec = async (tool: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]]
      : [join(bin, tool), args];
    try {
      return await run(file, argv, { cwd: dir, env });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `PostgreSQL test server: ${tool} failed: ${err.message}\n${err.stderr ?? ''}${err.stdout ?? ''}`,
      );
    }
  };

  try {
    await exec('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    // The server runs as a child of this process (not daemonised by pg_ctl), so that it is reaped
    // when it stops and a Ctrl-C of the test run reaches it too.
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const args = [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=300',
      ];
      const server = asRoot
        ? spawn('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), ...args], {
            cwd: dir,
            stdio: 'pipe',
            env,
          })
        : spawn(join(bin, 'postgres'), args, { cwd: dir, stdio: 'pipe', env });
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-4000);
      };
      server.stdout.on('data', keep);
      server.stderr.on('data', keep);
      const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
      let gone = false;
      void exited.then(() => {
        gone = true;
      });
      const pidFile = join(data, 'postmaster.pid');
      const deadline = Date.now() + 30_000;
      // postmaster.pid's 8th line says `ready` once connections are accepted.
      while (!gone && Date.now() < deadline) {
        if (existsSync(pidFile) && readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() === 'ready') break;
        await new Promise((r) => setTimeout(r, 25));
      }
      if (gone || Date.now() >= deadline) {
        if (!gone) server.kill('SIGKILL');
        await exited;
        if (attempt < 2 && /already in use|could not bind/i.test(output)) continue; // port taken meanwhile
        throw new Error(`PostgreSQL test server did not start:\n${output}`);
      }
      const postmasterPid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      let stopped = false;
      return {
        url: `postgres://postgres@127.0.0.1:${port}/postgres`,
        async stop() {
          if (stopped) return;
          stopped = true;
          try {
            if (!gone) {
              // SIGQUIT: immediate shutdown (the data is thrown away anyway).
              if (alive(postmasterPid)) process.kill(postmasterPid, 'SIGQUIT');
              const timeout = setTimeout(() => server.kill('SIGKILL'), 10_000);
              await exited;
              clearTimeout(timeout);
            }
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
      };
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
