// Copyright 2026 The llmds Authors.
//
// The BM25 formula of the contract, in one place so the index, its pruning bounds and the
// tests agree:
//   score(d, q) = sum over distinct query terms t of  qf(t) * idf(t) * tf*(k1+1) / (tf + K(d))
//   K(d) = k1 * (1 - b + b * dl(d) / avgdl),  idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)).
// Every term weight is positive, and the tf part grows with tf and shrinks with dl, so
// (max tf, min dl) of a block bounds every score in it.

#ifndef LLMDS_RETRIEVAL_INTERNAL_BM25_H_
#define LLMDS_RETRIEVAL_INTERNAL_BM25_H_

#include <cmath>
#include <cstdint>

namespace llmds {
namespace retrieval_internal {

inline double Bm25Idf(double num_docs, double doc_freq) {
  return std::log(1.0 + (num_docs - doc_freq + 0.5) / (doc_freq + 0.5));
}

class Bm25TfScorer {
 public:
  // REQUIRES: k1 >= 0, 0 <= b <= 1, avgdl > 0.
  Bm25TfScorer(double k1, double b, double avgdl)
      : k1_plus_1_(k1 + 1.0), k1_(k1), b_(b), avgdl_(avgdl) {}

  // tf*(k1+1) / (tf + k1*(1 - b + b*dl/avgdl)).
  double TfPart(uint32_t tf, uint32_t doc_length) const {
    return TfPartWithNorm(tf, LengthNorm(doc_length));
  }
  // The same split in two, so a document's length term is computed once for all query terms:
  // TfPartWithNorm(tf, LengthNorm(dl)) is TfPart(tf, dl), bit for bit.
  double LengthNorm(uint32_t doc_length) const {
    return k1_ * (1.0 - b_ + b_ * static_cast<double>(doc_length) / avgdl_);
  }
  double TfPartWithNorm(uint32_t tf, double norm) const {
    const double t = static_cast<double>(tf);
    return t * k1_plus_1_ / (t + norm);
  }

 private:
  double k1_plus_1_;
  double k1_;
  double b_;
  double avgdl_;
};

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_BM25_H_
