export {mse, psnr} from './psnr.ts';
export {ssim2d, ssimPlanes, type SsimOptions} from './ssim.ts';
export {gaussianKernel1d} from './gaussian.ts';
export {extractPlane, planeGeometry, type Plane, type PlaneGeometry, type Shape3} from './planes.ts';
export {
  frcCurve, frcResolution, planePairCurve, planePairResolution,
  type FrcCurve, type FrcOptions, type FrcResolutionOptions, type FrcSector, type PlanePairOptions,
} from './frc.ts';
