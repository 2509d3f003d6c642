// Copyright 2026 The llmds Authors.
//
// PostingCursor walks one term's postings: the compressed blocks of the sealed segment followed
// by the uncompressed tail of the mutable segment (whose docs are all newer). The tail acts as
// one more block with its own (max tf, min length) bound. Blocks are decoded lazily, so skipping
// with NextGeq and asking block bounds with ShallowBlock never decodes blocks it passes over.
//
// A cursor is a short-lived, single-thread view; the lists must outlive it and stay unchanged.

#ifndef LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CURSOR_H_
#define LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CURSOR_H_

#include <cstdint>
#include <limits>

#include "llmds/retrieval/internal/postings_codec.h"

namespace llmds {
namespace retrieval_internal {

inline constexpr uint32_t kEndDoc = std::numeric_limits<uint32_t>::max();

// The mutable segment's postings of one term.
struct PostingTail {
  const uint32_t* docs = nullptr;
  const uint32_t* tfs = nullptr;
  uint32_t size = 0;
  uint32_t max_tf = 0;
  uint32_t min_doc_length = std::numeric_limits<uint32_t>::max();
};

class PostingCursor {
 public:
  PostingCursor(const PostingList* sealed, PostingTail tail)
      : sealed_(sealed),
        tail_(tail),
        sealed_blocks_(sealed->num_blocks()),
        total_blocks_(sealed_blocks_ + (tail.size > 0 ? 1 : 0)) {
    LoadBlock(0);
  }
  // Not copyable: the current block may point into the cursor's own buffer.
  PostingCursor(const PostingCursor&) = delete;
  PostingCursor& operator=(const PostingCursor&) = delete;

  // Current doc, or kEndDoc once exhausted.
  uint32_t doc() const { return doc_; }
  uint32_t tf() const { return tfs_[pos_]; }

  void Next() {
    if (++pos_ < len_) {
      doc_ = docs_[pos_];
    } else {
      LoadBlock(block_ + 1);
    }
  }

  // Moves to the first posting with doc >= target (never backwards).
  void NextGeq(uint32_t target) {
    if (doc_ >= target) return;
    if (BlockLastDoc(block_) < target) {
      int b = block_ + 1;
      while (b < total_blocks_ && BlockLastDoc(b) < target) ++b;
      LoadBlock(b);
      if (doc_ >= target) return;
    }
    while (docs_[pos_] < target) ++pos_;  // the block's last doc is >= target
    doc_ = docs_[pos_];
  }

  // Returns the index of the first block at or after the current one whose last doc is
  // >= target, or -1 if none; does not move the cursor. Targets must not decrease.
  int ShallowBlock(uint32_t target) {
    if (shallow_ < block_) shallow_ = block_;
    while (shallow_ < total_blocks_ && BlockLastDoc(shallow_) < target) ++shallow_;
    return shallow_ < total_blocks_ ? shallow_ : -1;
  }
  uint32_t BlockMaxTf(int b) const {
    return b < sealed_blocks_ ? sealed_->blocks()[b].max_tf : tail_.max_tf;
  }
  uint32_t BlockMinDocLength(int b) const {
    return b < sealed_blocks_ ? sealed_->blocks()[b].min_doc_length : tail_.min_doc_length;
  }
  int current_block() const { return block_; }
  // Last doc of the current block (so every posting of this list in [doc(), it] is in the
  // current block), or kEndDoc once exhausted.
  uint32_t current_block_last_doc() const {
    return block_ < total_blocks_ ? BlockLastDoc(block_) : kEndDoc;
  }

 private:
  uint32_t BlockLastDoc(int b) const {
    return b < sealed_blocks_ ? sealed_->blocks()[b].last_doc : tail_.docs[tail_.size - 1];
  }

  void LoadBlock(int b) {
    block_ = b;
    pos_ = 0;
    if (b < sealed_blocks_) {
      len_ = sealed_->DecodeBlock(b, buffer_docs_, buffer_tfs_);
      docs_ = buffer_docs_;
      tfs_ = buffer_tfs_;
      doc_ = docs_[0];
    } else if (b < total_blocks_) {
      len_ = static_cast<int>(tail_.size);
      docs_ = tail_.docs;
      tfs_ = tail_.tfs;
      doc_ = docs_[0];
    } else {
      block_ = total_blocks_;
      len_ = 0;
      doc_ = kEndDoc;
      docs_ = buffer_docs_;
      tfs_ = buffer_tfs_;
      buffer_tfs_[0] = 0;
    }
  }

  const PostingList* sealed_;
  PostingTail tail_;
  int sealed_blocks_;
  int total_blocks_;
  int block_ = 0;
  int shallow_ = 0;
  int pos_ = 0;
  int len_ = 0;
  uint32_t doc_ = kEndDoc;
  const uint32_t* docs_ = nullptr;
  const uint32_t* tfs_ = nullptr;
  uint32_t buffer_docs_[kBlockSize];
  uint32_t buffer_tfs_[kBlockSize];
};

}  // namespace retrieval_internal
}  // namespace llmds

#endif  // LLMDS_RETRIEVAL_INTERNAL_POSTINGS_CURSOR_H_
