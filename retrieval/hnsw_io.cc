// Copyright 2026 The llmds Authors.
//
// Serialization of HNSW. Layout (little-endian):
//   char[8] magic "LLMDSHNW"; u32 format version (1)
//   u32 dim, u32 metric, u32 M, u32 ef_construction, u32 ef_search
//   f64 ml, u64 seed, f64 exact_filter_threshold
//   u64 num_slots, u64 num_deleted, u64 level_sequence, i64 entry_slot, i32 max_level
//   per slot: i64 vec_id, u8 level, u8 flags (bit 1: deleted),
//             for each level 0..level: u32 count, count x u32 links; then dim x f32 vector
//   u64 XXH3-64 of every byte before it
// Load verifies the checksum first, then every field and every structural invariant, so a
// crafted file with a valid checksum is rejected too.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <xxhash.h>

#include "absl/strings/str_format.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/retrieval/internal/hnsw_scratch.h"
#include "llmds/utils/byte_io.h"
#include "llmds/utils/status_macros.h"

namespace llmds {
namespace {

constexpr char kMagic[8] = {'L', 'L', 'M', 'D', 'S', 'H', 'N', 'W'};
constexpr uint32_t kFormatVersion = 1;
constexpr int kMaxLevel = 31;
constexpr uint8_t kReady = 1;
constexpr uint8_t kDeleted = 2;

static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE-754 floats assumed");

absl::Status Corrupt(const std::string& what) {
  return absl::DataLossError("corrupt HNSW data: " + what);
}

}  // namespace

std::string HNSW::Serialize() const {
  std::unique_lock<std::shared_mutex> storage_lock(storage_mutex_);
  std::lock_guard<std::mutex> id_lock(id_mutex_);
  std::lock_guard<std::mutex> entry_lock(entry_mutex_);
  std::string out;
  out.reserve(128 + size_t{num_slots_} * (16 + 4 * (options_.dim + max_links0_)));
  ByteWriter w(&out);
  w.PutRaw(kMagic, sizeof(kMagic));
  w.Put<uint32_t>(kFormatVersion);
  w.Put<uint32_t>(static_cast<uint32_t>(options_.dim));
  w.Put<uint32_t>(static_cast<uint32_t>(options_.metric));
  w.Put<uint32_t>(static_cast<uint32_t>(options_.M));
  w.Put<uint32_t>(static_cast<uint32_t>(options_.ef_construction));
  w.Put<uint32_t>(static_cast<uint32_t>(ef_search()));
  w.Put<double>(ml_);
  w.Put<uint64_t>(seed_);
  w.Put<double>(options_.exact_filter_threshold);
  w.Put<uint64_t>(num_slots_);
  w.Put<uint64_t>(static_cast<uint64_t>(num_deleted_));
  w.Put<uint64_t>(level_sequence_);
  w.Put<int64_t>(entry_slot_);
  w.Put<int32_t>(max_level_);
  for (uint32_t s = 0; s < num_slots_; ++s) {
    w.Put<int64_t>(slot_ids_[s]);
    w.Put<uint8_t>(slot_levels_[s]);
    w.Put<uint8_t>(IsDeleted(s) ? kDeleted : 0);
    for (int l = 0; l <= slot_levels_[s]; ++l) {
      const uint32_t* list = Links(s, l);
      w.PutRaw(list, (1 + size_t{list[0]}) * sizeof(uint32_t));
    }
    w.PutRaw(Vector(s), static_cast<size_t>(options_.dim) * sizeof(float));
  }
  w.Put<uint64_t>(XXH3_64bits(out.data(), out.size()));
  return out;
}

absl::Status HNSW::Save(const std::string& path) const {
  const std::string bytes = Serialize();
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::InternalError(absl::StrFormat("cannot open %s for writing", path));
  }
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  const bool closed = std::fclose(file) == 0;
  if (written != bytes.size() || !closed) {
    return absl::InternalError(absl::StrFormat("short write to %s", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<HNSW>> HNSW::Load(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrFormat("cannot open %s", path));
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) bytes.append(buffer, n);
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::InternalError(absl::StrFormat("error reading %s", path));
  return Deserialize(bytes);
}

absl::StatusOr<std::unique_ptr<HNSW>> HNSW::Deserialize(std::string_view bytes) {
  if (bytes.size() < sizeof(kMagic) + sizeof(uint32_t) + sizeof(uint64_t)) {
    return Corrupt(absl::StrFormat("%d bytes is too short", bytes.size()));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return Corrupt("bad magic");
  uint64_t stored_checksum;
  ByteReader trailer(bytes.substr(bytes.size() - sizeof(uint64_t)));
  if (!trailer.GetU64(&stored_checksum)) return Corrupt("truncated checksum");
  const std::string_view body = bytes.substr(0, bytes.size() - sizeof(uint64_t));
  if (XXH3_64bits(body.data(), body.size()) != stored_checksum) {
    return Corrupt("checksum mismatch");
  }
  ByteReader in(body.substr(sizeof(kMagic)));
  uint32_t version, dim, metric, m, ef_construction, ef_search;
  double ml, threshold;
  uint64_t seed, num_slots, num_deleted, level_sequence;
  int64_t entry_slot;
  int32_t max_level;
  if (!in.Get(&version) || !in.Get(&dim) || !in.Get(&metric) || !in.Get(&m) ||
      !in.Get(&ef_construction) || !in.Get(&ef_search) || !in.Get(&ml) || !in.Get(&seed) ||
      !in.Get(&threshold) || !in.Get(&num_slots) || !in.Get(&num_deleted) ||
      !in.Get(&level_sequence) || !in.Get(&entry_slot) || !in.Get(&max_level)) {
    return Corrupt("truncated header");
  }
  if (version != kFormatVersion) {
    return absl::InvalidArgumentError(
        absl::StrFormat("HNSW format version %d; this build reads version %d", version,
                        kFormatVersion));
  }
  if (metric > 2) return Corrupt(absl::StrFormat("metric %d", metric));
  HnswOptions options;
  options.dim = static_cast<int32_t>(std::min<uint32_t>(dim, 1u << 30));
  options.metric = static_cast<Metric>(metric);
  options.M = static_cast<int32_t>(std::min<uint32_t>(m, 1u << 30));
  options.ef_construction = static_cast<int32_t>(std::min<uint32_t>(ef_construction, 1u << 30));
  options.ef_search = static_cast<int32_t>(std::min<uint32_t>(ef_search, 1u << 30));
  options.ml = ml;
  options.seed = seed;
  options.exact_filter_threshold = threshold;
  absl::StatusOr<std::unique_ptr<HNSW>> created = Create(options);
  if (!created.ok()) return Corrupt(std::string(created.status().message()));
  std::unique_ptr<HNSW> index = *std::move(created);
  // Each slot takes at least 14 bytes plus its vector: bounds the allocation by the input size.
  const uint64_t min_slot_bytes = 14 + uint64_t{dim} * 4;
  if (num_slots > in.remaining() / min_slot_bytes) {
    return Corrupt(absl::StrFormat("%d nodes cannot fit in %d bytes", num_slots, in.remaining()));
  }
  if (num_deleted > num_slots || entry_slot < -1 ||
      entry_slot >= static_cast<int64_t>(num_slots) || max_level < -1 || max_level > kMaxLevel) {
    return Corrupt("inconsistent counts or entry point");
  }
  std::unique_lock<std::shared_mutex> storage_lock(index->storage_mutex_);
  index->ReserveLocked(num_slots);
  {
    std::lock_guard<std::mutex> id_lock(index->id_mutex_);
    std::lock_guard<std::mutex> entry_lock(index->entry_mutex_);
    index->num_slots_ = static_cast<uint32_t>(num_slots);
    index->num_deleted_ = static_cast<int64_t>(num_deleted);
    index->level_sequence_ = level_sequence;
    index->entry_slot_ = entry_slot;
    index->max_level_ = max_level;
    index->id_to_slot_.reserve(num_slots - num_deleted);
    size_t upper_words = 0;
    for (uint32_t s = 0; s < num_slots; ++s) {
      int64_t id;
      uint8_t level, flags;
      if (!in.Get(&id) || !in.Get(&level) || !in.Get(&flags)) return Corrupt("truncated node");
      if (level > kMaxLevel) return Corrupt(absl::StrFormat("node %d level %d", s, level));
      if (flags != 0 && flags != kDeleted) {
        return Corrupt(absl::StrFormat("node %d flags %d", s, flags));
      }
      index->slot_ids_[s] = id;
      index->slot_levels_[s] = level;
      if (level > 0) {
        const size_t words = size_t{level} * (1 + options.M);
        index->upper_[s].reset(new uint32_t[words]());
        upper_words += words;
      }
      for (int l = 0; l <= level; ++l) {
        uint32_t* list = index->Links(s, l);
        uint32_t count;
        if (!in.Get(&count)) return Corrupt("truncated links");
        if (count > static_cast<uint32_t>(index->MaxLinks(l))) {
          return Corrupt(absl::StrFormat("node %d level %d has %d links", s, l, count));
        }
        list[0] = count;
        if (!in.GetRaw(list + 1, size_t{count} * sizeof(uint32_t))) {
          return Corrupt("truncated links");
        }
        for (uint32_t i = 1; i <= count; ++i) {
          if (list[i] >= num_slots) return Corrupt(absl::StrFormat("node %d bad link", s));
        }
      }
      if (!in.GetRaw(index->MutableVector(s), size_t{dim} * sizeof(float))) {
        return Corrupt("truncated vector");
      }
      index->slot_flags_[s] = static_cast<uint8_t>(kReady | flags);
      if ((flags & kDeleted) == 0 && !index->id_to_slot_.emplace(id, s).second) {
        return Corrupt(absl::StrFormat("vec_id %d appears twice", id));
      }
    }
    index->upper_words_.store(upper_words, std::memory_order_relaxed);
  }
  if (in.remaining() != 0) return Corrupt("trailing bytes");
  const absl::Status invariants = index->CheckInvariantsLocked();
  if (!invariants.ok()) return Corrupt(std::string(invariants.message()));
  storage_lock.unlock();
  return index;
}

}  // namespace llmds
