/**
 * What renders WebGL here. Without a GPU, browsers render WebGL in software
 * (SwiftShader, llvmpipe), where tfjs-wasm on the CPU's cores is several times
 * faster: the backend choice skips such a WebGL when wasm is also allowed.
 */

/** The WebGL renderer's name (unmasked where the browser allows), or undefined without WebGL. */
export function webglRenderer(): string | undefined {
  if (typeof OffscreenCanvas === 'undefined') return undefined;
  const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
  if (!gl) return undefined;
  try {
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}

/** Renderer names of software rasterisers (Chromium's SwiftShader, Mesa's llvmpipe and softpipe, Windows' WARP). */
export function isSoftwareRenderer(renderer: string): boolean {
  return /swiftshader|llvmpipe|softpipe|software|microsoft basic render/i.test(renderer);
}

/** Why a WebGL with this renderer is passed over for wasm (it renders in software), or undefined to use it. */
export function softwareWebglReason(renderer: string | undefined): string | undefined {
  return renderer && isSoftwareRenderer(renderer) ? `webgl renders in software here (${renderer}), where wasm is faster` : undefined;
}
