// Copyright 2026 The llmds Authors.
//
// Readers for dense vector data sets, for ANN benchmarks, tests and user-supplied embeddings:
//
// - `.fvecs` (TEXMEX / ann-benchmarks): per vector a little-endian int32 dimension, then that
//   many float32 values.
// - `.npy` (NumPy, format 1.0-3.0): a 2-D C-order array of float32, float64, int32, uint8 or
//   int8 (little-endian), converted to float.
// - IDX (MNIST, Fashion-MNIST): big-endian header with type code (uint8, int8, int32, float32,
//   float64) and dimensions; every dimension after the first is flattened into one vector.
// - TSV: one vector per line, tab-separated numbers; optionally the last column is an id.
// Any of them may be gzip-compressed (`.gz`), which ReadVectors() inflates.
//
//   LLMDS_ASSIGN_OR_RETURN(VectorSet images, ReadVectors("t10k-images-idx3-ubyte.gz"));
//   absl::Span<const float> first = images.row(0);   // 784 floats
//
// Malformed or truncated input is an InvalidArgument error naming the source; nothing crashes.

#ifndef LLMDS_DATASETS_VECTORS_H_
#define LLMDS_DATASETS_VECTORS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace llmds {

// `count` vectors of `dim` floats each, row-major.
struct VectorSet {
  int64_t count = 0;
  int32_t dim = 0;
  std::vector<float> values;  // count * dim

  absl::Span<const float> row(int64_t i) const {
    return absl::Span<const float>(values.data() + i * dim, static_cast<size_t>(dim));
  }
};

absl::StatusOr<VectorSet> ParseFvecs(std::string_view bytes, std::string_view source);
absl::StatusOr<VectorSet> ParseNpy(std::string_view bytes, std::string_view source);
absl::StatusOr<VectorSet> ParseIdx(std::string_view bytes, std::string_view source);
absl::StatusOr<VectorSet> ParseTsvVectors(std::string_view text, std::string_view source,
                                          bool last_column_is_id);

// Inflates gzip data. Errors: InvalidArgument for corrupt or truncated input, or output larger
// than `max_output_bytes`.
absl::StatusOr<std::string> Gunzip(std::string_view bytes, std::string_view source,
                                   size_t max_output_bytes = size_t{1} << 34);

// Reads the file at `path`, choosing the format by its name: `.fvecs`, `.npy`, `.tsv` (with an
// id column when `tsv_last_column_is_id`), otherwise IDX; a `.gz` suffix is inflated first.
absl::StatusOr<VectorSet> ReadVectors(std::string_view path, bool tsv_last_column_is_id = false);

}  // namespace llmds

#endif  // LLMDS_DATASETS_VECTORS_H_
