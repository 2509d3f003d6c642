// Copyright 2026 The llmds Authors.
//
// Compressed posting lists: (doc, tf) pairs sorted by doc, stored in fixed blocks of
// kBlockSize postings. Each block holds the doc gaps and tf-1 values, each bit-packed at the
// width of the block's largest value; a block directory keeps, per block, its last doc (for
// skipping), its byte offset and the block's maximum tf and minimum document length (for
// block-max score bounds that stay valid whatever N and avgdl become).
//
// Block layout: [doc_bits:u8][tf_bits:u8][gaps: ceil(n*doc_bits/8) bytes][tf-1: ceil(n*tf_bits/8)]
// where gap_j = doc_j - doc_{j-1} - 1 and doc_{-1} is the previous block's last doc (or -1).
//
// Invariants of a PostingList (checked by Validate):
//   1. blocks().size() == ceil(size() / kBlockSize); every block but the last is full.
//   2. Docs strictly increase across the whole list; every tf >= 1.
//   3. blocks()[i].offset is where block i starts in data(); the blocks tile data() exactly.
//   4. last_doc, max_tf and min_doc_length of each block equal the values of its postings.
//
// PostingList is thread-compatible (const methods may run concurrently).

#ifndef LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CODEC_H_
#define LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace llmds {
namespace retrieval_internal {

inline constexpr int kBlockSize = 128;

// Returns the number of bits needed to store `max_value` (0 for 0).
int BitsNeeded(uint32_t max_value);
// Returns the bytes PackBits writes for `n` values of `bits` bits.
size_t PackedBytes(size_t n, int bits);
// Appends `values` packed at `bits` bits each (little-endian bit order).
// REQUIRES: 0 <= bits <= 32 and every value fits in `bits` bits.
void PackBits(absl::Span<const uint32_t> values, int bits, std::vector<uint8_t>* out);
// Reads `n` values of `bits` bits from exactly PackedBytes(n, bits) bytes at `in`.
void UnpackBits(const uint8_t* in, size_t n, int bits, uint32_t* values);

struct BlockMeta {
  uint32_t last_doc = 0;
  uint32_t offset = 0;
  uint32_t max_tf = 0;
  uint32_t min_doc_length = 0;
};

class PostingList {
 public:
  PostingList() = default;

  // Appends postings whose docs all exceed the current last doc. A trailing partial block is
  // re-encoded together with the new postings, so the result is the same as encoding the whole
  // list at once. `doc_lengths[doc]` is the length of `doc`.
  // REQUIRES: docs strictly increasing, > last doc; tfs >= 1; docs.size() == tfs.size().
  void Append(absl::Span<const uint32_t> docs, absl::Span<const uint32_t> tfs,
              absl::Span<const uint32_t> doc_lengths);

  // Decodes block `block` into `docs` and `tfs` (kBlockSize entries each); returns its length.
  int DecodeBlock(int block, uint32_t* docs, uint32_t* tfs) const;
  // Decodes the whole list.
  void DecodeAll(std::vector<uint32_t>* docs, std::vector<uint32_t>* tfs) const;

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int num_blocks() const { return static_cast<int>(blocks_.size()); }
  int BlockLength(int block) const {
    return block + 1 < num_blocks() ? kBlockSize
                                    : static_cast<int>(size_ - static_cast<uint32_t>(block) * kBlockSize);
  }
  const std::vector<BlockMeta>& blocks() const { return blocks_; }
  const std::vector<uint8_t>& data() const { return data_; }
  // Bytes of compressed data plus the block directory.
  size_t bytes() const { return data_.size() + blocks_.size() * sizeof(BlockMeta); }
  // Largest tf and smallest document length of the whole list (0 and UINT32_MAX if empty).
  uint32_t max_tf() const { return max_tf_; }
  uint32_t min_doc_length() const { return min_doc_length_; }

  // Builds a list from stored parts, checking every invariant above: docs < num_docs, exact
  // block metadata against `doc_lengths`. Adds each tf to (*tf_sums)[doc] if non-null.
  // Returns DataLoss naming the first violation; never reads out of bounds.
  static absl::Status FromParts(uint32_t size, std::vector<BlockMeta> blocks,
                                std::vector<uint8_t> data, absl::Span<const uint32_t> doc_lengths,
                                std::vector<uint64_t>* tf_sums, PostingList* out);

 private:
  void EncodeBlock(const uint32_t* docs, const uint32_t* tfs, int n, uint32_t prev_last,
                   bool has_prev, absl::Span<const uint32_t> doc_lengths);

  std::vector<BlockMeta> blocks_;
  std::vector<uint8_t> data_;
  uint32_t size_ = 0;
  uint32_t max_tf_ = 0;
  uint32_t min_doc_length_ = UINT32_MAX;
};

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CODEC_H_
