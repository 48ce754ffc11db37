/**
 * Kernel overrides and additions registered on the tfjs wasm backend.
 * (Filled in by the kernel-fixes work: see backend/wasm-kernels/.)
 */
export function installWasmKernelFixes(): string[] {
  return [];
}

export function uninstallWasmKernelFixes(): void {}
