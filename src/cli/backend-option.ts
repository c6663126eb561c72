/** `--backend` of every command that computes in this Node process: where tfjs runs, said in one line. */
import {Option, type Command} from 'commander';
import {UserError} from '../errors.ts';
import {initBackend, type BackendChoice} from '../tf/backend.ts';
import {nodeWebGpuHook} from '../tf/node-webgpu.ts';

export const NODE_BACKENDS = ['webgpu', 'wasm', 'cpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export function withBackendOption(command: Command): Command {
  return command.addOption(
    new Option('--backend <name>', 'where the network runs in Node: webgpu (a GPU, through Dawn), wasm or cpu (default: webgpu where Dawn finds a GPU adapter, else wasm)').choices(
      NODE_BACKENDS,
    ),
  );
}

/** Starts the backend asked for (without one: WebGPU on a GPU adapter, else wasm) and says which runs, and why, on stderr. */
export async function startCliBackend(name: NodeBackend | undefined): Promise<BackendChoice> {
  let choice: BackendChoice;
  try {
    // NGI_TFJS_WASM_DIR: where a bundle (the device kit) keeps tfjs's .wasm files.
    choice = await initBackend(name ? [name] : undefined, {nodeWebGpu: nodeWebGpuHook, wasmPaths: process.env.NGI_TFJS_WASM_DIR});
  } catch (e) {
    throw new UserError(name ? `--backend ${name}: ${(e as Error).message}` : (e as Error).message);
  }
  console.error(backendLine(choice));
  return choice;
}

/** "backend: webgpu on nvidia hopper …", "backend: wasm, 1 thread (webgpu not used: …)". */
export function backendLine(choice: BackendChoice): string {
  const where = choice.adapter ? ` on ${choice.adapter}` : choice.threads ? `, ${choice.threads} thread${choice.threads > 1 ? 's' : ''}` : '';
  const why = choice.notice?.replace(`using ${choice.backend}: `, '');
  return `backend: ${choice.backend}${where}${why ? ` (${why})` : ''}`;
}
