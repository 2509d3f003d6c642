// Copyright 2026 The llmds Authors.

#include "llmds/scheduling/indexed_heap.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace llmds {

// Lowers the 32-bit push-sequence limit so that tests reach the renumbering path.
class IndexedHeapTestPeer {
 public:
  static void SetSeqLimit(IndexedHeap& heap, uint32_t limit) { heap.seq_limit_ = limit; }
};

namespace {

using Top = std::pair<double, int64_t>;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(IndexedHeapTest, EmptyHeap) {
  IndexedHeap heap;
  EXPECT_TRUE(heap.IsEmpty());
  EXPECT_EQ(heap.Size(), 0u);
  EXPECT_FALSE(heap.Peek().has_value());
  EXPECT_EQ(heap.Pop().status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(heap.GetScore(1).has_value());
  EXPECT_FALSE(heap.Contains(1));
  EXPECT_EQ(heap.Delete(1).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(heap.CheckInvariants().ok());
}

TEST(IndexedHeapTest, MinHeapPopsAscending) {
  IndexedHeap heap;
  ASSERT_TRUE(heap.Push(1, 5.0).ok());
  ASSERT_TRUE(heap.Push(2, -1.0).ok());
  ASSERT_TRUE(heap.Push(3, 2.5).ok());
  EXPECT_EQ(heap.Peek(), Top(-1.0, 2));
  EXPECT_EQ(*heap.Pop(), Top(-1.0, 2));
  EXPECT_EQ(*heap.Pop(), Top(2.5, 3));
  EXPECT_EQ(*heap.Pop(), Top(5.0, 1));
  EXPECT_TRUE(heap.IsEmpty());
}

TEST(IndexedHeapTest, MaxHeapPopsDescending) {
  IndexedHeap heap(/*max_heap=*/true);
  EXPECT_TRUE(heap.is_max_heap());
  ASSERT_TRUE(heap.Push(1, 5.0).ok());
  ASSERT_TRUE(heap.Push(2, -1.0).ok());
  ASSERT_TRUE(heap.Push(3, kInf).ok());
  EXPECT_EQ(*heap.Pop(), Top(kInf, 3));
  EXPECT_EQ(*heap.Pop(), Top(5.0, 1));
  EXPECT_EQ(*heap.Pop(), Top(-1.0, 2));
}

TEST(IndexedHeapTest, DuplicateKeyIsRefusedAndChangesNothing) {
  IndexedHeap heap;
  ASSERT_TRUE(heap.Push(7, 1.0).ok());
  absl::Status s = heap.Push(7, 0.0);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(s.message().find("7"), absl::string_view::npos);
  EXPECT_EQ(heap.Size(), 1u);
  EXPECT_EQ(heap.GetScore(7), 1.0);
  EXPECT_TRUE(heap.CheckInvariants().ok());
}

TEST(IndexedHeapTest, NaNIsRefusedEverywhere) {
  IndexedHeap heap;
  EXPECT_EQ(heap.Push(1, kNaN).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(heap.Contains(1));
  ASSERT_TRUE(heap.Push(1, 1.0).ok());
  EXPECT_EQ(heap.DecreaseKey(1, kNaN).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(heap.IncreaseKey(1, kNaN).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(heap.Update(1, kNaN).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(heap.GetScore(1), 1.0);
  EXPECT_TRUE(heap.CheckInvariants().ok());
}

TEST(IndexedHeapTest, KeyChangesOnMissingKeyAreNotFound) {
  IndexedHeap heap;
  EXPECT_EQ(heap.DecreaseKey(3, 1.0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(heap.IncreaseKey(3, 1.0).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(heap.Update(3, 1.0).code(), absl::StatusCode::kNotFound);
}

TEST(IndexedHeapTest, DecreaseKeyThatWouldRaiseIsRefused) {
  for (bool max_heap : {false, true}) {
    IndexedHeap heap(max_heap);
    ASSERT_TRUE(heap.Push(1, 2.0).ok());
    EXPECT_EQ(heap.DecreaseKey(1, 3.0).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(heap.IncreaseKey(1, 1.0).code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(heap.GetScore(1), 2.0);
    EXPECT_TRUE(heap.DecreaseKey(1, 2.0).ok());  // equal is allowed
    EXPECT_TRUE(heap.IncreaseKey(1, 2.0).ok());
  }
}

TEST(IndexedHeapTest, KeyChangesMoveInTheDocumentedDirection) {
  // Min-heap: DecreaseKey moves toward the top, IncreaseKey away from it.
  IndexedHeap min_heap;
  ASSERT_TRUE(min_heap.Push(1, 1.0).ok());
  ASSERT_TRUE(min_heap.Push(2, 2.0).ok());
  ASSERT_TRUE(min_heap.DecreaseKey(2, 0.0).ok());
  EXPECT_EQ(min_heap.Peek(), Top(0.0, 2));
  ASSERT_TRUE(min_heap.IncreaseKey(2, 9.0).ok());
  EXPECT_EQ(min_heap.Peek(), Top(1.0, 1));
  // Max-heap: IncreaseKey moves toward the top, DecreaseKey away from it.
  IndexedHeap max_heap(true);
  ASSERT_TRUE(max_heap.Push(1, 1.0).ok());
  ASSERT_TRUE(max_heap.Push(2, 2.0).ok());
  ASSERT_TRUE(max_heap.DecreaseKey(2, 0.0).ok());
  EXPECT_EQ(max_heap.Peek(), Top(1.0, 1));
  ASSERT_TRUE(max_heap.IncreaseKey(2, 9.0).ok());
  EXPECT_EQ(max_heap.Peek(), Top(9.0, 2));
  ASSERT_TRUE(max_heap.Update(2, -5.0).ok());
  EXPECT_EQ(max_heap.Peek(), Top(1.0, 1));
}

TEST(IndexedHeapTest, TiesPopInPushOrderAndKeepTheirPlaceAcrossKeyChanges) {
  for (bool max_heap : {false, true}) {
    IndexedHeap heap(max_heap);
    for (int64_t key : {50, 10, 40, 20, 30}) ASSERT_TRUE(heap.Push(key, 1.0).ok());
    // 40 leaves the tie and comes back: it keeps its original place (third pushed).
    ASSERT_TRUE(heap.Update(40, 100.0).ok());
    ASSERT_TRUE(heap.Update(40, 1.0).ok());
    ASSERT_TRUE(heap.Update(40, -100.0).ok());
    ASSERT_TRUE(heap.Update(40, 1.0).ok());
    std::vector<int64_t> order;
    while (!heap.IsEmpty()) order.push_back(heap.Pop()->second);
    EXPECT_EQ(order, (std::vector<int64_t>{50, 10, 40, 20, 30}));
  }
}

TEST(IndexedHeapTest, SignedZerosAreEqualAndRoundTrip) {
  for (bool max_heap : {false, true}) {
    IndexedHeap heap(max_heap);
    ASSERT_TRUE(heap.Push(1, -0.0).ok());
    ASSERT_TRUE(heap.Push(2, 0.0).ok());
    EXPECT_TRUE(std::signbit(*heap.GetScore(1)));
    EXPECT_FALSE(std::signbit(*heap.GetScore(2)));
    EXPECT_EQ(heap.Pop()->second, 1);  // tie: push order
    EXPECT_TRUE(heap.DecreaseKey(2, -0.0).ok());
  }
}

TEST(IndexedHeapTest, DeleteReturnsTheEntryAndReusesHandles) {
  IndexedHeap heap;
  for (int64_t k = 0; k < 100; ++k) ASSERT_TRUE(heap.Push(k, static_cast<double>(k % 7)).ok());
  for (int64_t k = 0; k < 100; k += 3) {
    auto deleted = heap.Delete(k);
    ASSERT_TRUE(deleted.ok());
    EXPECT_EQ(*deleted, Top(static_cast<double>(k % 7), k));
    EXPECT_FALSE(heap.Contains(k));
    ASSERT_TRUE(heap.CheckInvariants().ok());
  }
  for (int64_t k = 1000; k < 1034; ++k) ASSERT_TRUE(heap.Push(k, -1.0).ok());
  EXPECT_TRUE(heap.CheckInvariants().ok());
  EXPECT_EQ(heap.Size(), 100u);
  EXPECT_EQ(heap.Pop()->second, 1000);
}

TEST(IndexedHeapTest, ExtremeAndStridedKeys) {
  IndexedHeap heap;
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  ASSERT_TRUE(heap.Push(kMin, 1.0).ok());
  ASSERT_TRUE(heap.Push(kMax, 0.5).ok());
  ASSERT_TRUE(heap.Push(0, 2.0).ok());
  ASSERT_TRUE(heap.Push(-1, 3.0).ok());
  // Ids that share their low bits (a weak hash would put them all in one probe run).
  for (int64_t k = 1; k <= 3000; ++k) ASSERT_TRUE(heap.Push(k << 32, static_cast<double>(k)).ok());
  ASSERT_TRUE(heap.CheckInvariants().ok());
  EXPECT_EQ(heap.GetScore(kMin), 1.0);
  EXPECT_EQ(heap.Peek(), Top(0.5, kMax));
  for (int64_t k = 1; k <= 3000; k += 2) ASSERT_TRUE(heap.Delete(k << 32).ok());
  ASSERT_TRUE(heap.CheckInvariants().ok());
  EXPECT_EQ(heap.Size(), 4u + 1500u);
  EXPECT_FALSE(heap.Contains(int64_t{1} << 32));
  EXPECT_TRUE(heap.Contains(int64_t{2} << 32));
  EXPECT_EQ(*heap.Delete(kMin), Top(1.0, kMin));
  EXPECT_TRUE(heap.CheckInvariants().ok());
}

TEST(IndexedHeapTest, ReserveKeepsEverythingWorking) {
  IndexedHeap heap;
  ASSERT_TRUE(heap.Push(5, 1.0).ok());
  heap.Reserve(10000);
  for (int64_t k = 0; k < 5; ++k) ASSERT_TRUE(heap.Push(k, 2.0).ok());
  EXPECT_TRUE(heap.CheckInvariants().ok());
  EXPECT_EQ(heap.Pop()->second, 5);
}

TEST(IndexedHeapTest, ClearEmptiesTheHeap) {
  IndexedHeap heap;
  for (int64_t k = 0; k < 10; ++k) ASSERT_TRUE(heap.Push(k, 1.0).ok());
  heap.Clear();
  EXPECT_TRUE(heap.IsEmpty());
  EXPECT_FALSE(heap.Contains(3));
  ASSERT_TRUE(heap.Push(3, 1.0).ok());
  EXPECT_TRUE(heap.CheckInvariants().ok());
}

TEST(IndexedHeapTest, CopiesAreIndependent) {
  IndexedHeap heap;
  ASSERT_TRUE(heap.Push(1, 1.0).ok());
  IndexedHeap copy = heap;
  ASSERT_TRUE(copy.Push(2, 0.0).ok());
  EXPECT_EQ(heap.Size(), 1u);
  EXPECT_EQ(copy.Peek(), Top(0.0, 2));
}

// Brute-force reference: a dense table of keys in [min_key, min_key + key_space) holding
// (score, push sequence); the top is found by a full scan.
class ModelHeap {
 public:
  ModelHeap(bool max_heap, int64_t min_key, int64_t key_space)
      : max_heap_(max_heap), min_key_(min_key), entries_(static_cast<size_t>(key_space)) {}

  bool Contains(int64_t key) const { return entries_[Index(key)].present; }
  size_t Size() const { return size_; }
  void Push(int64_t key, double score) {
    entries_[Index(key)] = {score, next_seq_++, true};
    ++size_;
  }
  void Set(int64_t key, double score) { entries_[Index(key)].score = score; }
  double Score(int64_t key) const { return entries_[Index(key)].score; }
  void Erase(int64_t key) {
    entries_[Index(key)].present = false;
    --size_;
  }

  std::optional<Top> Best() const {
    std::optional<Top> best;
    double best_rank = 0;
    uint64_t best_seq = 0;
    for (size_t i = 0; i < entries_.size(); ++i) {
      const Entry& e = entries_[i];
      if (!e.present) continue;
      const double rank = max_heap_ ? -e.score : e.score;
      if (!best || rank < best_rank || (rank == best_rank && e.seq < best_seq)) {
        best = Top(e.score, min_key_ + static_cast<int64_t>(i));
        best_rank = rank;
        best_seq = e.seq;
      }
    }
    return best;
  }

 private:
  struct Entry {
    double score = 0;
    uint64_t seq = 0;
    bool present = false;
  };
  size_t Index(int64_t key) const { return static_cast<size_t>(key - min_key_); }

  bool max_heap_;
  int64_t min_key_;
  uint64_t next_seq_ = 0;
  size_t size_ = 0;
  std::vector<Entry> entries_;
};

// Compares two (score, key) pairs, treating the scores as equal when both are the same number
// (so -0.0 and +0.0 would differ in sign only; we compare bit-exactly via signbit too).
void ExpectSameTop(const std::optional<Top>& got, const std::optional<Top>& want, int64_t op) {
  ASSERT_EQ(got.has_value(), want.has_value()) << "op " << op;
  if (!got) return;
  ASSERT_EQ(got->second, want->second) << "op " << op;
  ASSERT_EQ(got->first, want->first) << "op " << op;
  ASSERT_EQ(std::signbit(got->first), std::signbit(want->first)) << "op " << op;
}

double RandomScore(std::mt19937_64& rng) {
  const int kind = static_cast<int>(rng() % 100);
  if (kind < 70) return static_cast<double>(rng() % 8);  // many ties
  if (kind < 90) return std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
  if (kind < 93) return kInf;
  if (kind < 96) return -kInf;
  if (kind < 98) return -0.0;
  return kNaN;
}

// Runs `num_ops` random operations on a heap and the model and compares every result. Checks
// the heap's invariants every `check_every` operations.
void RunDifferential(bool max_heap, uint64_t seed, int64_t num_ops, int64_t key_space,
                     int64_t check_every, uint32_t seq_limit = 0) {
  std::mt19937_64 rng(seed);
  IndexedHeap heap(max_heap);
  if (seq_limit > 0) IndexedHeapTestPeer::SetSeqLimit(heap, seq_limit);
  ModelHeap model(max_heap, -key_space / 4, key_space);
  for (int64_t op = 0; op < num_ops; ++op) {
    const int64_t key = static_cast<int64_t>(rng() % key_space) - key_space / 4;
    const int kind = static_cast<int>(rng() % 100);
    if (kind < 30) {  // Push
      const double score = RandomScore(rng);
      absl::Status s = heap.Push(key, score);
      if (std::isnan(score)) {
        ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "op " << op;
      } else if (model.Contains(key)) {
        ASSERT_EQ(s.code(), absl::StatusCode::kAlreadyExists) << "op " << op;
      } else {
        ASSERT_TRUE(s.ok()) << "op " << op << ": " << s;
        model.Push(key, score);
      }
    } else if (kind < 45) {  // Pop
      auto got = heap.Pop();
      std::optional<Top> want = model.Best();
      if (!want) {
        ASSERT_EQ(got.status().code(), absl::StatusCode::kFailedPrecondition) << "op " << op;
      } else {
        ASSERT_TRUE(got.ok()) << "op " << op;
        ExpectSameTop(*got, want, op);
        model.Erase(want->second);
      }
    } else if (kind < 75) {  // DecreaseKey / IncreaseKey / Update
      const double score = RandomScore(rng);
      const int which = static_cast<int>(rng() % 3);
      absl::Status s = which == 0   ? heap.DecreaseKey(key, score)
                       : which == 1 ? heap.IncreaseKey(key, score)
                                    : heap.Update(key, score);
      if (std::isnan(score)) {
        ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "op " << op;
      } else if (!model.Contains(key)) {
        ASSERT_EQ(s.code(), absl::StatusCode::kNotFound) << "op " << op;
      } else if ((which == 0 && score > model.Score(key)) ||
                 (which == 1 && score < model.Score(key))) {
        ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << "op " << op;
      } else {
        ASSERT_TRUE(s.ok()) << "op " << op << ": " << s;
        model.Set(key, score);
      }
    } else if (kind < 85) {  // Delete
      auto got = heap.Delete(key);
      if (!model.Contains(key)) {
        ASSERT_EQ(got.status().code(), absl::StatusCode::kNotFound) << "op " << op;
      } else {
        ASSERT_TRUE(got.ok()) << "op " << op;
        ExpectSameTop(*got, Top(model.Score(key), key), op);
        model.Erase(key);
      }
    } else if (kind < 93) {  // Peek
      ExpectSameTop(heap.Peek(), model.Best(), op);
    } else {  // GetScore / Contains / Size
      ASSERT_EQ(heap.Contains(key), model.Contains(key)) << "op " << op;
      std::optional<double> got = heap.GetScore(key);
      ASSERT_EQ(got.has_value(), model.Contains(key)) << "op " << op;
      if (got) {
        ASSERT_EQ(*got, model.Score(key)) << "op " << op;
      }
      ASSERT_EQ(heap.Size(), model.Size()) << "op " << op;
      ASSERT_EQ(heap.IsEmpty(), model.Size() == 0) << "op " << op;
    }
    if (op % check_every == 0) {
      absl::Status inv = heap.CheckInvariants();
      ASSERT_TRUE(inv.ok()) << "op " << op << ": " << inv;
    }
  }
  // Drain: the full order must agree.
  while (model.Size() > 0) {
    auto got = heap.Pop();
    ASSERT_TRUE(got.ok());
    std::optional<Top> want = model.Best();
    ExpectSameTop(*got, want, num_ops);
    model.Erase(want->second);
  }
  EXPECT_TRUE(heap.IsEmpty());
}

TEST(IndexedHeapDifferentialTest, InvariantsAfterEveryOperation) {
  for (bool max_heap : {false, true}) {
    RunDifferential(max_heap, /*seed=*/11 + max_heap, /*num_ops=*/10000, /*key_space=*/64,
                    /*check_every=*/1);
  }
}

// At least one million operations in total across both modes.
TEST(IndexedHeapDifferentialTest, MillionOperationsBothModes) {
  for (bool max_heap : {false, true}) {
    RunDifferential(max_heap, /*seed=*/2026 + max_heap, /*num_ops=*/500000, /*key_space=*/48,
                    /*check_every=*/997);
  }
}

TEST(IndexedHeapDifferentialTest, SequenceNumbersRenumberedOnOverflowKeepTheOrder) {
  for (bool max_heap : {false, true}) {
    RunDifferential(max_heap, /*seed=*/31 + max_heap, /*num_ops=*/20000, /*key_space=*/64,
                    /*check_every=*/3, /*seq_limit=*/100);
  }
}

TEST(IndexedHeapDifferentialTest, LargerHeapsFewerOperations) {
  RunDifferential(false, 7, 40000, 4000, 5003);
  RunDifferential(true, 8, 40000, 4000, 5003);
}

}  // namespace
}  // namespace llmds
