// Copyright 2026 The llmds Authors.
//
// Distance kernels for dense vectors with a SIMD level chosen at run time.
//
// The library is compiled for generic x86-64; the AVX2+FMA and AVX-512 kernels are separate
// functions compiled with `__attribute__((target(...)))` and only called after
// `__builtin_cpu_supports` confirmed the instructions exist. Other architectures get the scalar
// kernels. All kernels accept any `n >= 0` and unaligned pointers.
//
// Example:
//   const DistanceKernels& k = BestKernels();
//   float d2 = k.l2_squared(a, b, dim);   // squared Euclidean distance
//   float ip = k.dot(a, b, dim);          // inner product

#ifndef LLMDS_RETRIEVAL_INTERNAL_DISTANCE_H_
#define LLMDS_RETRIEVAL_INTERNAL_DISTANCE_H_

#include <cstddef>

namespace llmds {
namespace retrieval_internal {

enum class SimdLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

using DistanceFn = float (*)(const float* a, const float* b, size_t n);

struct DistanceKernels {
  SimdLevel level;
  const char* name;  // "scalar", "avx2+fma", "avx512f"
  DistanceFn l2_squared;
  DistanceFn dot;
  DistanceFn one_minus_dot;  // 1 - dot(a, b): the internal distance of kInnerProduct/kCosine
};

// Returns the widest SIMD level this CPU supports (detected once). The environment variable
// LLMDS_SIMD=scalar|avx2|avx512 caps it (never raises it above what the CPU supports).
SimdLevel DetectSimdLevel();

// Returns true if kernels of `level` can run on this CPU.
bool SimdLevelSupported(SimdLevel level);

// Returns the kernels of `level`. REQUIRES: SimdLevelSupported(level).
const DistanceKernels& KernelsFor(SimdLevel level);

// Returns KernelsFor(DetectSimdLevel()).
const DistanceKernels& BestKernels();

// Scalar references (also used by tests as the oracle).
float L2SquaredScalar(const float* a, const float* b, size_t n);
float DotScalar(const float* a, const float* b, size_t n);

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_DISTANCE_H_
