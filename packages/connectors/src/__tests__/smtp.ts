// A real SMTP server on loopback for tests: smtp-server, with AUTH, STARTTLS and scripted failures.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export const TLS_CERT = readFileSync(new URL('./fixtures/localhost.crt', import.meta.url), 'utf8');
export const TLS_KEY = readFileSync(new URL('./fixtures/localhost.key', import.meta.url), 'utf8');

export interface Received {
  mail: ParsedMail;
  from: string;
  rcpt: string[];
  secure: boolean;
  user: string | undefined;
}

export interface Failure {
  stage: 'rcpt' | 'data';
  code: number;
  message?: string;
}

export interface TestSmtp {
  port: number;
  received: Received[];
  /** Fail the next command at that stage with that reply code. */
  failNext(f: Failure): void;
  /** How many distinct messages (by Message-ID) arrived with this id. */
  count(messageId: string): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface TestSmtpOptions {
  /** Require AUTH with this user and password. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with the fixture certificate (default true). */
  tls?: boolean;
  port?: number;
  /** Start listening now (default true). */
  listen?: boolean;
}

export async function testSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const port = opts.port ?? (await freePort());
  const received: Received[] = [];
  const failures: Failure[] = [];
  const takeFailure = (stage: Failure['stage']) => {
    const i = failures.findIndex((f) => f.stage === stage);
    if (i < 0) return undefined;
    return failures.splice(i, 1)[0];
  };
  const smtpError = (f: Failure) =>
    Object.assign(new Error(f.message ?? `scripted failure ${f.code}`), { responseCode: f.code });
  let server: SMTPServer | undefined;
  const options: SMTPServerOptions = {
    logger: false,
    closeTimeout: 500,
    banner: 'closedloop test MTA',
    ...(opts.tls === false ? { disabledCommands: ['STARTTLS'] } : { key: TLS_KEY, cert: TLS_CERT }),
    authOptional: !opts.auth,
    allowInsecureAuth: opts.tls === false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) {
        cb(null, { user: auth.username });
        return;
      }
      cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, cb) {
      const f = takeFailure('rcpt');
      cb(f ? smtpError(f) : undefined);
    },
    onData(stream, session, cb) {
      simpleParser(stream)
        .then((mail) => {
          const f = takeFailure('data');
          if (f) return cb(smtpError(f));
          received.push({
            mail,
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcpt: session.envelope.rcptTo.map((r) => r.address),
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          cb();
        })
        .catch((err: Error) => cb(err));
    },
  };
  const t: TestSmtp = {
    port,
    received,
    failNext: (f) => failures.push(f),
    count: (id) => received.filter((r) => r.mail.messageId === id).length,
    async start() {
      server = new SMTPServer(options);
      server.on('error', () => {});
      const s = server;
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  if (opts.listen !== false) await t.start();
  return t;
}
