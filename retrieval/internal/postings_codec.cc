// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/internal/postings_codec.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "llmds/utils/check.h"

namespace llmds {
namespace retrieval_internal {

int BitsNeeded(uint32_t max_value) {
  int bits = 0;
  while (max_value != 0) {
    ++bits;
    max_value >>= 1;
  }
  return bits;
}

size_t PackedBytes(size_t n, int bits) { return (n * static_cast<size_t>(bits) + 7) / 8; }

void PackBits(absl::Span<const uint32_t> values, int bits, std::vector<uint8_t>* out) {
  LLMDS_DCHECK(bits >= 0 && bits <= 32);
  if (bits == 0) return;
  uint64_t acc = 0;
  int acc_bits = 0;
  for (uint32_t v : values) {
    LLMDS_DCHECK(bits == 32 || v < (uint64_t{1} << bits));
    acc |= static_cast<uint64_t>(v) << acc_bits;
    acc_bits += bits;
    while (acc_bits >= 8) {
      out->push_back(static_cast<uint8_t>(acc));
      acc >>= 8;
      acc_bits -= 8;
    }
  }
  if (acc_bits > 0) out->push_back(static_cast<uint8_t>(acc));
}

void UnpackBits(const uint8_t* in, size_t n, int bits, uint32_t* values) {
  if (bits == 0) {
    std::fill(values, values + n, 0u);
    return;
  }
  const uint64_t mask = bits == 32 ? 0xFFFFFFFFull : ((uint64_t{1} << bits) - 1);
  uint64_t acc = 0;
  int acc_bits = 0;
  for (size_t i = 0; i < n; ++i) {
    while (acc_bits < bits) {
      acc |= static_cast<uint64_t>(*in++) << acc_bits;
      acc_bits += 8;
    }
    values[i] = static_cast<uint32_t>(acc & mask);
    acc >>= bits;
    acc_bits -= bits;
  }
}

void PostingList::EncodeBlock(const uint32_t* docs, const uint32_t* tfs, int n,
                              uint32_t prev_last, bool has_prev,
                              absl::Span<const uint32_t> doc_lengths) {
  uint32_t gaps[kBlockSize];
  uint32_t tf_minus_one[kBlockSize];
  uint32_t max_gap = 0;
  uint32_t max_tfm1 = 0;
  BlockMeta meta;
  meta.offset = static_cast<uint32_t>(data_.size());
  meta.min_doc_length = UINT32_MAX;
  uint32_t prev = prev_last;
  bool first = !has_prev;
  for (int j = 0; j < n; ++j) {
    LLMDS_DCHECK(first || docs[j] > prev);
    LLMDS_DCHECK_GE(tfs[j], 1u);
    gaps[j] = first ? docs[j] : docs[j] - prev - 1;
    first = false;
    prev = docs[j];
    tf_minus_one[j] = tfs[j] - 1;
    max_gap = std::max(max_gap, gaps[j]);
    max_tfm1 = std::max(max_tfm1, tf_minus_one[j]);
    meta.max_tf = std::max(meta.max_tf, tfs[j]);
    meta.min_doc_length = std::min(meta.min_doc_length, doc_lengths[docs[j]]);
  }
  meta.last_doc = prev;
  const int doc_bits = BitsNeeded(max_gap);
  const int tf_bits = BitsNeeded(max_tfm1);
  data_.push_back(static_cast<uint8_t>(doc_bits));
  data_.push_back(static_cast<uint8_t>(tf_bits));
  PackBits(absl::MakeConstSpan(gaps, static_cast<size_t>(n)), doc_bits, &data_);
  PackBits(absl::MakeConstSpan(tf_minus_one, static_cast<size_t>(n)), tf_bits, &data_);
  blocks_.push_back(meta);
  max_tf_ = std::max(max_tf_, meta.max_tf);
  min_doc_length_ = std::min(min_doc_length_, meta.min_doc_length);
}

void PostingList::Append(absl::Span<const uint32_t> docs, absl::Span<const uint32_t> tfs,
                         absl::Span<const uint32_t> doc_lengths) {
  LLMDS_DCHECK_EQ(docs.size(), tfs.size());
  if (docs.empty()) return;
  std::vector<uint32_t> pending_docs;
  std::vector<uint32_t> pending_tfs;
  // Re-open a trailing partial block.
  if (!blocks_.empty() && BlockLength(num_blocks() - 1) < kBlockSize) {
    const int last = num_blocks() - 1;
    uint32_t block_docs[kBlockSize];
    uint32_t block_tfs[kBlockSize];
    const int n = DecodeBlock(last, block_docs, block_tfs);
    pending_docs.assign(block_docs, block_docs + n);
    pending_tfs.assign(block_tfs, block_tfs + n);
    data_.resize(blocks_[last].offset);
    blocks_.pop_back();
    size_ -= static_cast<uint32_t>(n);
    // The list-wide bounds stay valid (they only ever grow looser by re-adding the same block).
  }
  pending_docs.insert(pending_docs.end(), docs.begin(), docs.end());
  pending_tfs.insert(pending_tfs.end(), tfs.begin(), tfs.end());
  size_t i = 0;
  while (i < pending_docs.size()) {
    const int n = static_cast<int>(std::min<size_t>(kBlockSize, pending_docs.size() - i));
    const bool has_prev = !blocks_.empty();
    const uint32_t prev_last = has_prev ? blocks_.back().last_doc : 0;
    EncodeBlock(pending_docs.data() + i, pending_tfs.data() + i, n, prev_last, has_prev,
                doc_lengths);
    size_ += static_cast<uint32_t>(n);
    i += static_cast<size_t>(n);
  }
}

int PostingList::DecodeBlock(int block, uint32_t* docs, uint32_t* tfs) const {
  const int n = BlockLength(block);
  const uint8_t* p = data_.data() + blocks_[block].offset;
  const int doc_bits = p[0];
  const int tf_bits = p[1];
  p += 2;
  UnpackBits(p, static_cast<size_t>(n), doc_bits, docs);
  p += PackedBytes(static_cast<size_t>(n), doc_bits);
  UnpackBits(p, static_cast<size_t>(n), tf_bits, tfs);
  uint32_t prev = block == 0 ? 0 : blocks_[block - 1].last_doc;
  int j = 0;
  if (block == 0) {
    prev = docs[0];
    tfs[0] += 1;
    j = 1;
  }
  for (; j < n; ++j) {
    prev = prev + docs[j] + 1;
    docs[j] = prev;
    tfs[j] += 1;
  }
  return n;
}

void PostingList::DecodeAll(std::vector<uint32_t>* docs, std::vector<uint32_t>* tfs) const {
  docs->resize(size_);
  tfs->resize(size_);
  for (int b = 0; b < num_blocks(); ++b) {
    DecodeBlock(b, docs->data() + static_cast<size_t>(b) * kBlockSize,
                tfs->data() + static_cast<size_t>(b) * kBlockSize);
  }
}

absl::Status PostingList::FromParts(uint32_t size, std::vector<BlockMeta> blocks,
                                    std::vector<uint8_t> data,
                                    absl::Span<const uint32_t> doc_lengths,
                                    std::vector<uint64_t>* tf_sums, PostingList* out) {
  const size_t expected_blocks = (static_cast<size_t>(size) + kBlockSize - 1) / kBlockSize;
  if (blocks.size() != expected_blocks) {
    return absl::DataLossError(absl::StrCat("posting list of ", size, " postings has ",
                                            blocks.size(), " blocks, expected ", expected_blocks));
  }
  const uint64_t num_docs = doc_lengths.size();
  size_t pos = 0;
  uint64_t prev = 0;
  bool has_prev = false;
  PostingList list;
  list.size_ = size;
  for (size_t b = 0; b < blocks.size(); ++b) {
    const size_t n = b + 1 < blocks.size() ? kBlockSize : size - b * kBlockSize;
    const BlockMeta& meta = blocks[b];
    if (meta.offset != pos) {
      return absl::DataLossError(
          absl::StrCat("block ", b, " offset ", meta.offset, " != expected ", pos));
    }
    if (data.size() - pos < 2) return absl::DataLossError(absl::StrCat("block ", b, " truncated"));
    const int doc_bits = data[pos];
    const int tf_bits = data[pos + 1];
    if (doc_bits > 32 || tf_bits > 32) {
      return absl::DataLossError(absl::StrCat("block ", b, " bit width ", doc_bits, "/", tf_bits));
    }
    const size_t need = 2 + PackedBytes(n, doc_bits) + PackedBytes(n, tf_bits);
    if (data.size() - pos < need) {
      return absl::DataLossError(absl::StrCat("block ", b, " needs ", need, " bytes"));
    }
    uint32_t gaps[kBlockSize];
    uint32_t tfs[kBlockSize];
    UnpackBits(data.data() + pos + 2, n, doc_bits, gaps);
    UnpackBits(data.data() + pos + 2 + PackedBytes(n, doc_bits), n, tf_bits, tfs);
    uint32_t max_tf = 0;
    uint32_t min_len = UINT32_MAX;
    for (size_t j = 0; j < n; ++j) {
      const uint64_t doc = has_prev ? prev + gaps[j] + 1 : gaps[j];
      if (doc >= num_docs) {
        return absl::DataLossError(
            absl::StrCat("block ", b, " doc ", doc, " >= number of documents ", num_docs));
      }
      const uint64_t tf = uint64_t{tfs[j]} + 1;
      if (tf > doc_lengths[doc]) {
        return absl::DataLossError(absl::StrCat("block ", b, " tf ", tf, " exceeds length ",
                                                doc_lengths[doc], " of doc ", doc));
      }
      if (tf_sums != nullptr) (*tf_sums)[doc] += tf;
      max_tf = std::max(max_tf, static_cast<uint32_t>(tf));
      min_len = std::min(min_len, doc_lengths[doc]);
      prev = doc;
      has_prev = true;
    }
    if (meta.last_doc != prev || meta.max_tf != max_tf || meta.min_doc_length != min_len) {
      return absl::DataLossError(absl::StrCat("block ", b, " metadata (", meta.last_doc, ", ",
                                              meta.max_tf, ", ", meta.min_doc_length,
                                              ") disagrees with its postings"));
    }
    list.max_tf_ = std::max(list.max_tf_, max_tf);
    list.min_doc_length_ = std::min(list.min_doc_length_, min_len);
    pos += need;
  }
  if (pos != data.size()) {
    return absl::DataLossError(
        absl::StrCat("posting data has ", data.size() - pos, " trailing bytes"));
  }
  list.blocks_ = std::move(blocks);
  list.data_ = std::move(data);
  *out = std::move(list);
  return absl::OkStatus();
}

}  // namespace retrieval_internal
}  // namespace llmds
