/** A real Redis server for tests (Debian's redis-server, installed by scripts/setup.sh --tests), on a free loopback port. */
import { spawn, ChildProcess } from "node:child_process";
import * as net from "node:net";
import { Redis } from "ioredis";

export interface RedisServer {
  url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  } catch (err) {
    throw new Error(`redis-server could not start (${(err as Error).message}); scripts/setup.sh --tests installs it`, { cause: err });
  }
  const spawned = new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(new Error(`redis-server could not start (${e.message}); scripts/setup.sh --tests installs it`)));
    child.once("spawn", () => resolve());
  });
  await spawned;
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on("error", () => {}); // refused while the server starts: retried below
    try {
      await c.connect();
      if ((await c.ping()) === "PONG") {
        c.disconnect();
        break;
      }
    } catch {
      c.disconnect();
      if (i > 100) throw new Error("redis-server did not answer");
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
