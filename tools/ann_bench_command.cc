// Copyright 2026 The llmds Authors.
//
// `llmds ann-bench`: recall@k and queries/s of HNSW on the user's own vectors, against exact
// brute-force neighbours, over a sweep of ef.

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "llmds/datasets/vectors.h"
#include "llmds/retrieval/hnsw.h"
#include "llmds/tools/commands.h"
#include "llmds/utils/status_macros.h"
#include "llmds/utils/timer.h"

namespace llmds {
namespace {

// Exact k nearest base rows of each query by squared L2 (ties by row index).
std::vector<std::vector<int64_t>> GroundTruth(const VectorSet& base, const VectorSet& queries,
                                              int k) {
  std::vector<std::vector<int64_t>> truth(queries.count);
  std::vector<std::pair<double, int64_t>> scored(base.count);
  cli::Progress progress("ground truth", queries.count);
  for (int64_t q = 0; q < queries.count; ++q) {
    const auto query = queries.row(q);
    for (int64_t b = 0; b < base.count; ++b) {
      const auto row = base.row(b);
      double d = 0;
      for (int32_t i = 0; i < base.dim; ++i) {
        const double diff = static_cast<double>(row[i]) - query[i];
        d += diff * diff;
      }
      scored[b] = {d, b};
    }
    const int64_t take = std::min<int64_t>(k, base.count);
    std::partial_sort(scored.begin(), scored.begin() + take, scored.end());
    for (int64_t i = 0; i < take; ++i) truth[q].push_back(scored[i].second);
    progress.Update(q + 1);
  }
  return truth;
}

absl::Status RunAnnBench(const cli::ParsedFlags& flags, std::ostream& out) {
  if (flags.Get("base").empty() || flags.Get("queries").empty()) {
    return absl::InvalidArgumentError("--base and --queries are required");
  }
  LLMDS_ASSIGN_OR_RETURN(const VectorSet base,
                         ReadVectors(flags.Get("base"), flags.IsSet("base_tsv_has_id")));
  LLMDS_ASSIGN_OR_RETURN(VectorSet queries,
                         ReadVectors(flags.Get("queries"), flags.IsSet("queries_tsv_has_id")));
  if (base.count == 0 || queries.count == 0) {
    return absl::InvalidArgumentError("--base and --queries must hold at least one vector");
  }
  if (base.dim != queries.dim) {
    return absl::InvalidArgumentError(absl::StrCat("base vectors have dimension ", base.dim,
                                                   ", queries ", queries.dim));
  }
  LLMDS_ASSIGN_OR_RETURN(const int64_t k, flags.GetIntInRange("k", 1, 10000));
  LLMDS_ASSIGN_OR_RETURN(const int64_t m, flags.GetIntInRange("M", 1, 1 << 16));
  LLMDS_ASSIGN_OR_RETURN(const int64_t ef_construction,
                         flags.GetIntInRange("ef_construction", 1, 1 << 20));
  LLMDS_ASSIGN_OR_RETURN(const int64_t max_queries,
                         flags.GetIntInRange("max_queries", 0, int64_t{1} << 40));
  if (max_queries > 0 && queries.count > max_queries) {
    queries.count = max_queries;
    queries.values.resize(static_cast<size_t>(max_queries) * queries.dim);
  }
  std::vector<int32_t> efs;
  for (absl::string_view part : absl::StrSplit(flags.Get("ef"), ',')) {
    int32_t ef;
    if (!absl::SimpleAtoi(part, &ef) || ef < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ef must be a comma-separated list of positive integers, got '",
                       flags.Get("ef"), "'"));
    }
    efs.push_back(ef);
  }

  HnswOptions options;
  options.dim = base.dim;
  options.M = static_cast<int32_t>(m);
  options.ef_construction = static_cast<int32_t>(ef_construction);
  options.seed = 42;
  LLMDS_ASSIGN_OR_RETURN(std::unique_ptr<HNSW> index, HNSW::Create(options));
  Timer build;
  {
    cli::Progress progress("building HNSW", base.count);
    for (int64_t i = 0; i < base.count; ++i) {
      LLMDS_RETURN_IF_ERROR(index->Add(base.row(i), i));
      progress.Update(i + 1);
    }
  }
  const double build_seconds = build.elapsed();
  const std::vector<std::vector<int64_t>> truth = GroundTruth(base, queries, static_cast<int>(k));

  const bool json = flags.IsSet("json");
  if (!json) {
    out << absl::StrFormat(
        "HNSW M=%d ef_construction=%d on %d x %d vectors (%s kernels): built in %.2f s, %.1f MiB\n",
        options.M, options.ef_construction, base.count, base.dim, index->Stats().simd,
        build_seconds, index->Stats().memory_bytes / 1048576.0);
  } else {
    out << absl::StrFormat(
        "{\"vectors\": %d, \"dim\": %d, \"M\": %d, \"ef_construction\": %d, \"simd\": %s, "
        "\"build_seconds\": %.3f, \"memory_bytes\": %d, \"sweep\": [",
        base.count, base.dim, options.M, options.ef_construction,
        cli::JsonString(index->Stats().simd), build_seconds, index->Stats().memory_bytes);
  }
  cli::Table table({"ef", absl::StrCat("recall@", k), "queries/s", "p50 us"});
  bool first = true;
  for (int32_t ef : efs) {
    HnswSearchParams params;
    params.ef_search = ef;
    int64_t found = 0, wanted = 0;
    std::vector<double> latencies;
    Timer timer;
    for (int64_t q = 0; q < queries.count; ++q) {
      Timer one;
      LLMDS_ASSIGN_OR_RETURN(const auto results,
                             index->SearchWithParams(queries.row(q), static_cast<int>(k), params));
      latencies.push_back(one.elapsed() * 1e6);
      const absl::flat_hash_set<int64_t> expected(truth[q].begin(), truth[q].end());
      for (const auto& [id, distance] : results) found += expected.count(id);
      wanted += static_cast<int64_t>(expected.size());
    }
    const double seconds = timer.elapsed();
    std::nth_element(latencies.begin(), latencies.begin() + latencies.size() / 2, latencies.end());
    const double recall = static_cast<double>(found) / std::max<int64_t>(wanted, 1);
    const double qps = static_cast<double>(queries.count) / seconds;
    const double p50_us = latencies[latencies.size() / 2];
    if (json) {
      out << absl::StrFormat("%s{\"ef\": %d, \"recall\": %.6f, \"queries_per_second\": %.1f, "
                             "\"p50_us\": %.2f}",
                             first ? "" : ", ", ef, recall, qps, p50_us);
      first = false;
    }
    table.AddRow({absl::StrCat(ef), absl::StrFormat("%.4f", recall), absl::StrFormat("%.0f", qps),
                  absl::StrFormat("%.1f", p50_us)});
  }
  if (json) {
    out << "]}\n";
  } else {
    table.Print(out, "");
  }
  return absl::OkStatus();
}

}  // namespace

cli::Command AnnBenchCommand() {
  cli::Command command;
  command.name = "ann-bench";
  command.summary = "Recall and queries/s of HNSW on your vectors against exact neighbours";
  command.usage = "llmds ann-bench --base=FILE --queries=FILE [--k=10] [--ef=10,20,40,80,160]";
  command.flags = {
      {"base", "vectors to index (.fvecs, .npy, IDX, .tsv; .gz too)", false, ""},
      {"queries", "query vectors, same format and dimension", false, ""},
      {"k", "neighbours per query", false, "10"},
      {"ef", "comma-separated ef_search values to sweep", false, "10,20,40,80,160"},
      {"M", "HNSW links per node", false, "16"},
      {"ef_construction", "HNSW build beam width", false, "200"},
      {"max_queries", "use at most this many queries (0: all)", false, "0"},
      {"base_tsv_has_id", "the base .tsv's last column is an id, not a dimension", true, ""},
      {"queries_tsv_has_id", "the queries .tsv's last column is an id", true, ""},
      {"json", "print one JSON object", true, ""},
  };
  command.run = RunAnnBench;
  return command;
}

}  // namespace llmds
