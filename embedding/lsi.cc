// Copyright 2026 The llmds Authors.

#include "llmds/embedding/lsi.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace llmds {
namespace {

using Column = std::vector<double>;

// The weighted term-document matrix, by document (compressed sparse columns).
struct SparseMatrix {
  int64_t rows = 0;                                       // terms
  std::vector<std::vector<std::pair<int32_t, double>>> columns;  // per document
};

double Dot(const Column& a, const Column& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a[i] * b[i];
  return sum;
}

// Orthonormalizes `columns` in place (modified Gram-Schmidt, two passes for stability). A column
// that is numerically dependent on the previous ones becomes zero.
void Orthonormalize(std::vector<Column>* columns) {
  for (size_t j = 0; j < columns->size(); ++j) {
    Column& v = (*columns)[j];
    const double original = std::sqrt(Dot(v, v));
    for (int pass = 0; pass < 2; ++pass) {
      for (size_t i = 0; i < j; ++i) {
        const double projection = Dot((*columns)[i], v);
        const Column& u = (*columns)[i];
        for (size_t r = 0; r < v.size(); ++r) v[r] -= projection * u[r];
      }
    }
    const double norm = std::sqrt(Dot(v, v));
    if (norm <= 1e-10 * std::max(original, 1e-300)) {
      std::fill(v.begin(), v.end(), 0.0);
    } else {
      for (double& x : v) x /= norm;
    }
  }
}

// Returns A * X for X given by columns of length docs.
std::vector<Column> Multiply(const SparseMatrix& a, const std::vector<Column>& x) {
  std::vector<Column> y(x.size(), Column(a.rows, 0.0));
  for (size_t c = 0; c < x.size(); ++c) {
    for (size_t doc = 0; doc < a.columns.size(); ++doc) {
      const double scale = x[c][doc];
      if (scale == 0) continue;
      for (const auto& [term, weight] : a.columns[doc]) y[c][term] += weight * scale;
    }
  }
  return y;
}

// Returns A^T * Y for Y given by columns of length terms.
std::vector<Column> MultiplyTransposed(const SparseMatrix& a, const std::vector<Column>& y) {
  std::vector<Column> x(y.size(), Column(a.columns.size(), 0.0));
  for (size_t c = 0; c < y.size(); ++c) {
    for (size_t doc = 0; doc < a.columns.size(); ++doc) {
      double sum = 0;
      for (const auto& [term, weight] : a.columns[doc]) sum += weight * y[c][term];
      x[c][doc] = sum;
    }
  }
  return x;
}

// Symmetric eigen-decomposition by cyclic Jacobi rotations. `m` is n x n row-major; returns the
// eigenvalues and fills `vectors` (n x n row-major, column i is eigenvector i).
std::vector<double> SymmetricEigen(std::vector<double> m, int n, std::vector<double>* vectors) {
  vectors->assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) (*vectors)[i * n + i] = 1.0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) off += m[i * n + j] * m[i * n + j];
    }
    if (off < 1e-30) break;
    for (int p = 0; p < n; ++p) {
      for (int q = p + 1; q < n; ++q) {
        const double apq = m[p * n + q];
        if (std::fabs(apq) < 1e-300) continue;
        const double theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) /
                         (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
        const double c = 1.0 / std::sqrt(t * t + 1.0);
        const double s = t * c;
        for (int k = 0; k < n; ++k) {  // rotate columns p, q
          const double mkp = m[k * n + p];
          const double mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (int k = 0; k < n; ++k) {  // rotate rows p, q
          const double mpk = m[p * n + k];
          const double mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (int k = 0; k < n; ++k) {
          double& vkp = (*vectors)[k * n + p];
          double& vkq = (*vectors)[k * n + q];
          const double a = vkp;
          const double b = vkq;
          vkp = c * a - s * b;
          vkq = s * a + c * b;
        }
      }
    }
  }
  std::vector<double> values(n);
  for (int i = 0; i < n; ++i) values[i] = m[i * n + i];
  return values;
}

template <typename T>
void NormalizeInPlace(T* begin, T* end) {
  double norm = 0;
  for (T* p = begin; p != end; ++p) norm += static_cast<double>(*p) * static_cast<double>(*p);
  if (norm <= 0) return;
  const double inverse = 1.0 / std::sqrt(norm);
  for (T* p = begin; p != end; ++p) *p = static_cast<T>(*p * inverse);
}

}  // namespace

absl::StatusOr<LsiModel> LsiModel::Fit(const std::vector<std::vector<std::string>>& documents,
                                       const LsiOptions& options) {
  if (documents.empty()) return absl::InvalidArgumentError("LSI needs at least one document");
  if (options.dimensions < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("dimensions must be >= 1, got ", options.dimensions));
  }
  if (options.power_iterations < 0 || options.power_iterations > 50) {
    return absl::InvalidArgumentError(
        absl::StrCat("power_iterations must be in [0, 50], got ", options.power_iterations));
  }
  if (options.oversampling < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("oversampling must be >= 0, got ", options.oversampling));
  }

  LsiModel model;
  model.num_documents_ = static_cast<int64_t>(documents.size());
  std::vector<int64_t> document_frequency;
  std::vector<std::vector<std::pair<int32_t, int32_t>>> counts(documents.size());
  for (size_t d = 0; d < documents.size(); ++d) {
    absl::flat_hash_map<int32_t, int32_t> tf;
    for (const std::string& term : documents[d]) {
      auto [it, inserted] =
          model.term_ids_.try_emplace(term, static_cast<int32_t>(model.term_ids_.size()));
      if (inserted) document_frequency.push_back(0);
      if (++tf[it->second] == 1) ++document_frequency[it->second];
    }
    counts[d].assign(tf.begin(), tf.end());
    std::sort(counts[d].begin(), counts[d].end());
  }
  if (model.term_ids_.empty()) {
    return absl::InvalidArgumentError("LSI needs at least one term in the documents");
  }
  const double n = static_cast<double>(documents.size());
  model.idf_.resize(document_frequency.size());
  for (size_t t = 0; t < document_frequency.size(); ++t) {
    model.idf_[t] = std::log(n / static_cast<double>(document_frequency[t]));
  }

  SparseMatrix a;
  a.rows = static_cast<int64_t>(model.idf_.size());
  a.columns.resize(documents.size());
  for (size_t d = 0; d < documents.size(); ++d) {
    double norm = 0;
    for (const auto& [term, tf] : counts[d]) {
      const double w = (1.0 + std::log(static_cast<double>(tf))) * model.idf_[term];
      if (w > 0) {
        a.columns[d].emplace_back(term, w);
        norm += w * w;
      }
    }
    for (auto& entry : a.columns[d]) entry.second /= std::sqrt(norm);
  }

  const int64_t rank_limit = std::min<int64_t>(a.rows, model.num_documents_);
  const int k = static_cast<int>(std::min<int64_t>(options.dimensions, rank_limit));
  const int l = static_cast<int>(std::min<int64_t>(k + options.oversampling, rank_limit));
  model.dimensions_ = k;

  // Randomized subspace iteration for the range of A.
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<double> gaussian(0.0, 1.0);
  std::vector<Column> omega(l, Column(documents.size()));
  for (Column& column : omega) {
    for (double& x : column) x = gaussian(rng);
  }
  std::vector<Column> q = Multiply(a, omega);
  Orthonormalize(&q);
  for (int i = 0; i < options.power_iterations; ++i) {
    std::vector<Column> z = MultiplyTransposed(a, q);
    Orthonormalize(&z);
    q = Multiply(a, z);
    Orthonormalize(&q);
  }

  // B = Q^T A (l x docs), as columns of A^T Q. Then B B^T = W diag(lambda) W^T.
  const std::vector<Column> bt = MultiplyTransposed(a, q);  // l columns of length docs
  std::vector<double> gram(static_cast<size_t>(l) * l);
  for (int i = 0; i < l; ++i) {
    for (int j = i; j < l; ++j) gram[i * l + j] = gram[j * l + i] = Dot(bt[i], bt[j]);
  }
  std::vector<double> w;
  const std::vector<double> lambda = SymmetricEigen(std::move(gram), l, &w);
  std::vector<int> order(l);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int x, int y) {
    return lambda[x] > lambda[y] || (lambda[x] == lambda[y] && x < y);
  });

  model.singular_values_.resize(k);
  model.term_vectors_.assign(static_cast<size_t>(a.rows) * k, 0.0);
  model.document_vectors_.assign(static_cast<size_t>(model.num_documents_) * k, 0.0f);
  for (int c = 0; c < k; ++c) {
    const int e = order[c];
    model.singular_values_[c] = std::sqrt(std::max(lambda[e], 0.0));
    // U[:, c] = Q w_e ; (V S)[:, c] = B^T w_e.
    for (int i = 0; i < l; ++i) {
      const double weight = w[i * l + e];
      if (weight == 0) continue;
      for (int64_t t = 0; t < a.rows; ++t) model.term_vectors_[t * k + c] += q[i][t] * weight;
      for (int64_t d = 0; d < model.num_documents_; ++d) {
        model.document_vectors_[d * k + c] += static_cast<float>(bt[i][d] * weight);
      }
    }
  }
  for (int64_t d = 0; d < model.num_documents_; ++d) {
    float* row = model.document_vectors_.data() + d * k;
    NormalizeInPlace(row, row + k);
  }
  return model;
}

std::vector<float> LsiModel::DocumentVector(int64_t index) const {
  const float* row = document_vectors_.data() + index * dimensions_;
  return std::vector<float>(row, row + dimensions_);
}

std::vector<float> LsiModel::Embed(absl::Span<const std::string> terms) const {
  absl::flat_hash_map<int32_t, int32_t> tf;
  for (const std::string& term : terms) {
    auto it = term_ids_.find(term);
    if (it != term_ids_.end()) ++tf[it->second];
  }
  std::vector<double> latent(dimensions_, 0.0);
  for (const auto& [term, count] : tf) {
    const double weight = (1.0 + std::log(static_cast<double>(count))) * idf_[term];
    const double* u = term_vectors_.data() + static_cast<size_t>(term) * dimensions_;
    for (int c = 0; c < dimensions_; ++c) latent[c] += weight * u[c];
  }
  std::vector<float> result(latent.begin(), latent.end());
  NormalizeInPlace(result.data(), result.data() + result.size());
  return result;
}

}  // namespace llmds
