/**
 * What WebGPU adapter this context (window or worker) gets, without touching the
 * DOM. Types are kept minimal so the core compiles without WebGPU typings.
 */
export interface WebGpuProbeResult {
  adapter?: {vendor: string; architecture: string; description: string};
  noAdapterReason?: string;
}

interface MinimalGpu {
  requestAdapter(options?: {powerPreference?: string}): Promise<{info?: Record<string, string>} | null>;
}

export async function describeWebGpuAdapter(nav: {gpu?: unknown} | undefined): Promise<WebGpuProbeResult> {
  const gpu = nav?.gpu as MinimalGpu | undefined;
  if (!gpu) return {noAdapterReason: 'this browser does not expose WebGPU (navigator.gpu is missing)'};
  try {
    const adapter = await gpu.requestAdapter({powerPreference: 'high-performance'});
    if (!adapter) return {noAdapterReason: 'WebGPU is present but no adapter is available'};
    const info = adapter.info ?? {};
    return {
      adapter: {
        vendor: info.vendor || 'unknown vendor',
        architecture: info.architecture || '',
        description: info.description || '',
      },
    };
  } catch (e) {
    return {noAdapterReason: `requesting a WebGPU adapter failed: ${(e as Error).message}`};
  }
}

/** One line for people: "WebGPU: nvidia hopper" or why there is none. */
export function formatAdapter(result: WebGpuProbeResult): string {
  if (!result.adapter) return `No WebGPU adapter: ${result.noAdapterReason ?? 'unknown reason'}`;
  const {vendor, architecture, description} = result.adapter;
  return `WebGPU adapter: ${[vendor, architecture, description].filter(Boolean).join(' ')}`;
}
