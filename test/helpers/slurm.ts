/**
 * A single-node Slurm for tests: munged, slurmctld and slurmd started as root
 * from a temporary folder (config, keys, state, logs, ports of their own), so
 * the shipped sbatch scripts run under a real scheduler. `startSlurm` says why
 * when it cannot start one (no Slurm installed, not root).
 */
import {execFile, spawnSync} from 'node:child_process';
import {promises as fs} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {promisify} from 'node:util';

const run = promisify(execFile);

export interface Slurm {
  /** Environment for sbatch, squeue, scancel: SLURM_CONF points at this cluster. */
  env: NodeJS.ProcessEnv;
  sbatch(args: string[], env?: NodeJS.ProcessEnv): Promise<string>;
  /** Array task ids (or job ids) still queued or running. */
  queued(): Promise<string[]>;
  waitUntilIdle(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

export async function startSlurm(dir: string): Promise<Slurm | {unavailable: string}> {
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel'].filter((c) => !has(c));
  if (missing.length) return {unavailable: `Slurm is not installed (${missing.join(', ')} not found; scripts/ensure-slurm.sh installs Debian's slurm-wlm and munge)`};
  if (process.getuid?.() !== 0) return {unavailable: 'the test cluster runs its daemons as root, and this is not root'};
  for (const d of ['munge', 'state', 'spool', 'log']) await fs.mkdir(path.join(dir, d), {recursive: true, mode: 0o700});
  const key = path.join(dir, 'munge', 'munge.key');
  await fs.writeFile(key, Buffer.from(Array.from({length: 128}, () => Math.floor(Math.random() * 256))), {mode: 0o600});
  const socket = path.join(dir, 'munge', 'munge.sock');
  const host = os.hostname().split('.')[0];
  const memory = Math.floor(os.totalmem() / 2 ** 20) - 2048;
  const conf = path.join(dir, 'slurm.conf');
  await fs.writeFile(
    conf,
    [
      'ClusterName=ngi-test',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${await freePort()}`,
      `SlurmdPort=${await freePort()}`,
      'SlurmUser=root',
      'SlurmdUser=root',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      // No cgroups in a container: track processes by their parents, no task confinement.
      'ProctrackType=proctrack/linuxproc',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_Core_Memory',
      'AuthType=auth/munge',
      `AuthInfo=socket=${socket}`,
      'CredType=cred/munge',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobAcctGatherType=jobacct_gather/none',
      'AccountingStorageType=accounting_storage/none',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${os.cpus().length} RealMemory=${memory} State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'),
  );
  const env = {...process.env, SLURM_CONF: conf};
  const log = (name: string) => fs.readFile(path.join(dir, 'log', name), 'utf8').catch(() => '');
  const stop = async () => {
    await run('scancel', ['--full', '--user', 'root'], {env}).catch(() => {});
    for (const pid of ['slurmd.pid', 'slurmctld.pid']) {
      const text = await fs.readFile(path.join(dir, pid), 'utf8').catch(() => '');
      if (text.trim()) {
        try {
          process.kill(Number(text.trim()), 'SIGTERM');
        } catch {
          /* gone already */
        }
      }
    }
    await run('munged', ['--stop', `--socket=${socket}`]).catch(() => {});
  };
  try {
    await run('munged', ['--force', `--socket=${socket}`, `--key-file=${key}`, `--log-file=${dir}/log/munged.log`, `--pid-file=${dir}/munge/munged.pid`, `--seed-file=${dir}/munge/seed`]);
    await run('slurmctld', ['-f', conf], {env});
    await run('slurmd', ['-f', conf], {env});
    const deadline = Date.now() + 30_000;
    for (;;) {
      const {stdout} = await run('sinfo', ['-h', '-o', '%T'], {env}).catch(() => ({stdout: ''}));
      if (/idle/.test(stdout)) break;
      if (Date.now() > deadline) throw new Error(`the node did not come up (sinfo: ${stdout.trim() || 'no answer'}); slurmctld log: ${(await log('slurmctld.log')).slice(-500)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (e) {
    await stop();
    return {unavailable: `Slurm did not start: ${(e as Error).message}`};
  }
  const queued = async () => (await run('squeue', ['-h', '-r', '-o', '%i'], {env})).stdout.split('\n').filter(Boolean);
  return {
    env,
    async sbatch(args, extra = {}) {
      const {stdout} = await run('sbatch', ['--parsable', ...args], {env: {...env, ...extra}});
      return stdout.trim().split(';')[0];
    },
    queued,
    async waitUntilIdle(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while ((await queued()).length) {
        if (Date.now() > deadline) throw new Error(`jobs still queued after ${timeoutMs / 1000} s: ${(await queued()).join(', ')}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    stop,
  };
}
