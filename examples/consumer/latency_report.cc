// An example program outside llmds: summarizes request latencies with llmds' statistics.

#include <cstdio>
#include <string>
#include <vector>

#include "llmds/utils/statistics.h"

int main() {
  const std::vector<double> latencies_ms = {10.5, 12.3, 11.1, 15.2, 10.8, 13.7, 9.9, 30.4};
  const absl::StatusOr<llmds::Statistics> stats = llmds::CalculateStatistics(latencies_ms);
  if (!stats.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(stats.status().message()).c_str());
    return 1;
  }
  std::printf("n=%lld mean=%.3f ms 95%% CI [%.3f, %.3f] p50=%.3f p99=%.3f\n",
              static_cast<long long>(stats->count), stats->mean, stats->ci_lower,
              stats->ci_upper, stats->p50, stats->p99);
  return 0;
}
