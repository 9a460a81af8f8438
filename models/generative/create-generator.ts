import { createCvae, CVAE_DEFAULTS } from './cvae.ts';
import { createDdpm, DDPM_DEFAULTS } from './ddpm.ts';
import type { Generator, GeneratorKind, Hyperparameters } from './generator.ts';
import { createPriorSampler, PRIOR_DEFAULTS } from './prior-sampler.ts';
import type { RecipeCodec } from './recipe-codec.ts';
import { createWgan, WGAN_DEFAULTS } from './wgan.ts';

/** Default hyper-parameters of each kind. */
export const GENERATOR_DEFAULTS: Record<GeneratorKind, Hyperparameters> = {
  cvae: { ...CVAE_DEFAULTS },
  wgan: { ...WGAN_DEFAULTS },
  ddpm: { ...DDPM_DEFAULTS },
  prior: { ...PRIOR_DEFAULTS },
};

/** Architecture line recorded in snapshots. */
export function describeArchitecture(kind: GeneratorKind, h: Hyperparameters, dim: number, condDim: number): string {
  switch (kind) {
    case 'cvae':
      return `CVAE enc [${dim}+${condDim}]→${h['hidden']}→${h['hidden']}→2×${h['latent']}, dec [${h['latent']}+${condDim}]→${h['hidden']}→${h['hidden']}→${dim}, swish`;
    case 'wgan':
      return `WGAN-GP G [${h['latent']}+${condDim}]→${h['hidden']}→${h['hidden']}→${dim}, D [${dim}+${condDim}]→${h['hidden']}→${h['hidden']}→1, swish`;
    case 'ddpm':
      return `DDPM T=${h['T']} cosine, ${(h['sampleSteps'] ?? Infinity) >= (h['T'] ?? 40) ? 'ancestral sampling' : `DDIM sampling in ${h['sampleSteps']} steps`}, ε-MLP [${dim}+${condDim}+5]→${h['hidden']}→${h['hidden']}→${dim}, swish`;
    case 'prior':
      return `KDE over the top ${h['quantile']} of observed recipes (Gaussian bw ${h['bandwidth']}, Dirichlet ${h['concentration']})`;
  }
}

/** A fresh, untrained generator of `kind` (hyper-parameters: the kind's defaults, overridden by `hyper`). */
export function createGenerator(kind: GeneratorKind, codec: RecipeCodec, condDim: number, seed: number, hyper: Hyperparameters = {}): Generator {
  switch (kind) {
    case 'cvae':
      return createCvae(codec, condDim, seed, hyper);
    case 'wgan':
      return createWgan(codec, condDim, seed, hyper);
    case 'ddpm':
      return createDdpm(codec, condDim, seed, hyper);
    case 'prior':
      return createPriorSampler(codec, condDim, seed, hyper);
  }
}
