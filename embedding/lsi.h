// Copyright 2026 The llmds Authors.
//
// Latent semantic indexing (LSI): dense document and query vectors from a truncated SVD of the
// TF-IDF term-document matrix. llmds has no neural encoder; LSI gives its demo and tests real,
// corpus-derived dense vectors so that dense and hybrid retrieval can be exercised end to end.
// Users with real embeddings pass those instead.
//
//   std::vector<std::vector<std::string>> docs = ...;   // analyzed terms per document
//   LsiOptions options;
//   options.dimensions = 128;
//   LLMDS_ASSIGN_OR_RETURN(LsiModel lsi, LsiModel::Fit(docs, options));
//   std::vector<float> doc0 = lsi.DocumentVector(0);     // unit length
//   std::vector<float> query = lsi.Embed({"boundary", "layer"});
//
// Weights: tf-idf with sublinear tf (1 + ln tf) and idf = ln(N / df), columns normalized to unit
// length. The rank-k factorization A ~ U S V^T is computed by randomized subspace iteration
// (Halko, Martinsson & Tropp 2011) with a fixed seed, so it is deterministic. Document j's
// vector is row j of V S and a query's is U^T q (its fold-in scaled by S), both normalized, so
// their dot product is the cosine similarity in the latent space.
//
// Cost: O(nnz * k * (iterations + 2) + terms * k^2) time, O(terms * k + docs * k) memory.

#ifndef LLMDS_EMBEDDING_LSI_H_
#define LLMDS_EMBEDDING_LSI_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace llmds {

struct LsiOptions {
  int32_t dimensions = 128;      // k; Default 128. Capped at min(terms, docs).
  int32_t power_iterations = 4;  // subspace iterations; more is more accurate. Default 4.
  int32_t oversampling = 10;     // extra random directions. Default 10.
  uint64_t seed = 42;
};

// `LsiModel` is immutable after Fit() and thread-safe for concurrent reads.
class LsiModel {
 public:
  // Fits the model to `documents`, each a list of (already analyzed) terms.
  // Errors: InvalidArgument for no documents, an empty vocabulary, or options out of range
  // (dimensions < 1, power_iterations < 0 or > 50, oversampling < 0).
  static absl::StatusOr<LsiModel> Fit(const std::vector<std::vector<std::string>>& documents,
                                      const LsiOptions& options = {});

  // Returns the unit-length latent vector of training document `index` (zero vector for a
  // document without known terms). REQUIRES: 0 <= index < num_documents().
  std::vector<float> DocumentVector(int64_t index) const;

  // Returns the unit-length latent vector of `terms` (unknown terms are ignored; the zero vector
  // if none is known).
  std::vector<float> Embed(absl::Span<const std::string> terms) const;

  int32_t dimensions() const { return dimensions_; }
  int64_t num_documents() const { return num_documents_; }
  int64_t num_terms() const { return static_cast<int64_t>(idf_.size()); }
  // Singular values, descending.
  const std::vector<double>& singular_values() const { return singular_values_; }

 private:
  LsiModel() = default;

  int32_t dimensions_ = 0;
  int64_t num_documents_ = 0;
  absl::flat_hash_map<std::string, int32_t> term_ids_;
  std::vector<double> idf_;                // per term
  std::vector<double> term_vectors_;       // terms x k, row-major: U
  std::vector<double> singular_values_;    // k
  std::vector<float> document_vectors_;    // docs x k, row-major, unit rows
};

}  // namespace llmds

#endif  // LLMDS_EMBEDDING_LSI_H_
