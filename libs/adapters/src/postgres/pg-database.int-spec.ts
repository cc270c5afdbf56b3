import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DatabaseUnavailableError, silentLogger, type Logger } from '@authz/ports';
import { PgDatabase } from './pg-database';
import { describeSqlDatabaseContract } from './sql-database.contract';

const connectionString = process.env.DATABASE_URL!;
/** Every schema this file creates starts with it, so nothing collides with other test files on the same database. */
const prefix = `test_${randomBytes(5).toString('hex')}`;

describeSqlDatabaseContract(
  'PgDatabase',
  async () => {
    const admin = new PgDatabase({ connectionString, max: 2 });
    const schemas: string[] = [];
    const opened: PgDatabase[] = [];
    const open = (schema: string, max: number): PgDatabase => {
      const db = new PgDatabase({ connectionString, schema, max });
      opened.push(db);
      return db;
    };
    return {
      fresh: async () => {
        const schema = `${prefix}_${schemas.length}`;
        await admin.query(`CREATE SCHEMA ${schema}`);
        schemas.push(schema);
        return open(schema, 5);
      },
      peers: async (count) => Array.from({ length: count }, () => open(schemas[schemas.length - 1]!, 2)),
      dispose: async () => {
        await Promise.all(opened.map((db) => db.close()));
        for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.close();
      },
    };
  },
  { separateConnections: true },
);

describe('PgDatabase', () => {
  let admin: PgDatabase;
  const schema = `${prefix}_own`;

  beforeAll(async () => {
    admin = new PgDatabase({ connectionString, max: 2 });
    await admin.query(`CREATE SCHEMA ${schema}`);
  });

  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.close();
  });

  it('sets search_path to the schema option', async () => {
    const db = new PgDatabase({ connectionString, schema });
    try {
      expect((await db.query('SHOW search_path')).rows).toEqual([{ search_path: schema }]);
      await db.query('CREATE TABLE placed (n int)');
      expect((await admin.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'placed'")).rows).toEqual([{ table_schema: schema }]);
    } finally {
      await db.close();
    }
  });

  it('refuses a schema name that would need quoting', () => {
    expect(() => new PgDatabase({ connectionString, schema: 'Bad-Name; DROP' })).toThrow(RangeError);
  });

  describe('when the server cannot be reached', () => {
    it('rejects with DatabaseUnavailableError at once when the port refuses connections', async () => {
      const db = new PgDatabase({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
      try {
        const started = Date.now();
        const error = await db.query('SELECT 1').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
        expect((error as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
        await expect(db.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        await db.close();
      }
    });

    it('rejects with DatabaseUnavailableError after connectionTimeoutMillis when the server never answers', async () => {
      const silent = await silentServer();
      const db = new PgDatabase({ connectionString: `postgres://postgres@127.0.0.1:${silent.port}/test`, connectionTimeoutMillis: 300 });
      try {
        const started = Date.now();
        await expect(db.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailableError);
        await expect(db.transaction((tx) => tx.query('SELECT 1'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
        expect(Date.now() - started).toBeLessThan(2000);
      } finally {
        await db.close();
        await silent.close();
      }
    });

    it('rejects a statement that outlives statement_timeout with DatabaseUnavailableError, and stays usable', async () => {
      const db = new PgDatabase({ connectionString, statementTimeoutMillis: 200, max: 1 });
      try {
        const error = await db.query('SELECT pg_sleep(5)').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DatabaseUnavailableError);
        expect((error as Error).cause).toMatchObject({ code: '57014' });
        await expect(db.transaction((tx) => tx.query('SELECT pg_sleep(5)'))).rejects.toBeInstanceOf(DatabaseUnavailableError);
        expect((await db.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await db.close();
      }
    });
  });

  describe('when the server drops a connection', () => {
    it('logs, without crashing, an idle connection the server terminated, and reconnects', async () => {
      const warnings: string[] = [];
      const db = new PgDatabase({ connectionString, max: 1, logger: recordingLogger(warnings) });
      try {
        const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
        await waitFor(() => warnings.length > 0);
        expect(warnings[0]).toMatch(/idle PostgreSQL connection failed/);
        const next = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        expect(next.rows[0]!.pid).not.toBe(rows[0]!.pid);
      } finally {
        await db.close();
      }
    });

    it('rejects the transaction with DatabaseUnavailableError when its connection is terminated, and recovers', async () => {
      const db = new PgDatabase({ connectionString, max: 1 });
      try {
        const outcome = db.transaction(async (tx) => {
          const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
          await new Promise((resolve) => setTimeout(resolve, 100)); // the socket closes while no statement runs
          await tx.query('SELECT 1');
        });
        await expect(outcome).rejects.toBeInstanceOf(DatabaseUnavailableError);
        expect((await db.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      } finally {
        await db.close();
      }
    });
  });
});

/** A TCP server that accepts connections and never says a word (a hung server or a black-holed proxy). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function recordingLogger(warnings: string[]): Logger {
  const logger: Logger = { ...silentLogger, warn: (_obj, msg) => warnings.push(msg ?? ''), child: () => logger };
  return logger;
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
