// Copyright 2026 The llmds Authors.

#include "llmds/retrieval/analyzer.h"

#include <xxhash.h>

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "llmds/retrieval/internal/analyzer_unicode.h"

namespace llmds {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
namespace ri = retrieval_internal;

Analyzer Make(AnalyzerOptions options = {}) {
  absl::StatusOr<Analyzer> analyzer = Analyzer::Create(options);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status();
  return std::move(*analyzer);
}

AnalyzerOptions Plain() {
  AnalyzerOptions options;
  options.stem = false;
  options.remove_stopwords = false;
  return options;
}

TEST(AnalyzerTest, DefaultEnglishPipeline) {
  Analyzer a = Make();
  EXPECT_THAT(a.Analyze("The Cats' owner's running quickly, and JUMPED!"),
              ElementsAre("cat", "owner", "run", "quick", "jump"));
  EXPECT_THAT(a.Analyze("John’s book"), ElementsAre("john", "book"));  // U+2019
  EXPECT_THAT(a.Analyze("Boeing-747 at 3.5 km"), ElementsAre("boe", "747", "3", "5", "km"));
  EXPECT_THAT(a.Analyze(""), IsEmpty());
  EXPECT_THAT(a.Analyze("  ,,;; "), IsEmpty());
  EXPECT_EQ(DefaultEnglishStopwords().size(), 33u);
}

TEST(AnalyzerTest, NonLatinScriptsGolden) {
  Analyzer a = Make(Plain());
  EXPECT_THAT(a.Analyze("ΣΟΦΊΑ και Ελλάς"), ElementsAre("σοφία", "και", "ελλάσ"));
  EXPECT_THAT(a.Analyze("Привет, МИР! Ёлка"), ElementsAre("привет", "мир", "ёлка"));
  EXPECT_THAT(a.Analyze("日本語テキスト"), ElementsAre("日", "本", "語", "テキスト"));
  EXPECT_THAT(a.Analyze("ひらがな"), ElementsAre("ひ", "ら", "が", "な"));
  EXPECT_THAT(a.Analyze("مرحبا، بالعالم"), ElementsAre("مرحبا", "بالعالم"));
  EXPECT_THAT(a.Analyze("नमस्ते दुनिया।"), ElementsAre("नमस्ते", "दुनिया"));
  EXPECT_THAT(a.Analyze("한국어 텍스트"), ElementsAre("한국어", "텍스트"));
  EXPECT_THAT(a.Analyze("Ärger ÜBER Straße ÿŸ İstanbul"),
              ElementsAre("ärger", "über", "straße", "ÿÿ", "istanbul"));
  EXPECT_THAT(a.Analyze("ＡＢＣ１２"), ElementsAre("ａｂｃ１２"));
  EXPECT_THAT(a.Analyze("café—naïve «quoted» 50€ α→β"),
              ElementsAre("café", "naïve", "quoted", "50", "α", "β"));
  EXPECT_THAT(a.Analyze("emoji😀split"), ElementsAre("emoji", "split"));
}

TEST(AnalyzerTest, MalformedUtf8IsReplacedBySeparators) {
  Analyzer a = Make(Plain());
  EXPECT_THAT(a.Analyze("abc\xFF" "def"), ElementsAre("abc", "def"));
  EXPECT_THAT(a.Analyze("caf\xC3"), ElementsAre("caf"));                  // truncated
  EXPECT_THAT(a.Analyze("x\xC0\xAFy"), ElementsAre("x", "y"));            // overlong
  EXPECT_THAT(a.Analyze("\xED\xA0\x80z"), ElementsAre("z"));              // surrogate
  EXPECT_THAT(a.Analyze("\xF4\x90\x80\x80q"), ElementsAre("q"));          // > U+10FFFF
  EXPECT_THAT(a.Analyze("\xE2\x82"), IsEmpty());
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  for (const std::string& t : a.Analyze(all_bytes + all_bytes)) {
    size_t pos = 0;
    while (pos < t.size()) EXPECT_NE(ri::DecodeUtf8(t, &pos), ri::kReplacementChar);
  }
}

TEST(AnalyzerTest, DecoderMaximalSubparts) {
  auto decode_all = [](std::string_view s) {
    std::vector<char32_t> out;
    size_t pos = 0;
    while (pos < s.size()) out.push_back(ri::DecodeUtf8(s, &pos));
    return out;
  };
  const char32_t r = ri::kReplacementChar;
  EXPECT_THAT(decode_all("\xF0\x80\x80"), ElementsAre(r, r, r));
  EXPECT_THAT(decode_all("\xE2\x82"), ElementsAre(r));
  EXPECT_THAT(decode_all("\xE2\x82\xAC"), ElementsAre(0x20AC));
  EXPECT_THAT(decode_all("\xF0\x9F\x98\x80" "a"), ElementsAre(0x1F600, 'a'));
  EXPECT_THAT(decode_all("\xC2"), ElementsAre(r));
  EXPECT_THAT(decode_all("\x80\xBF"), ElementsAre(r, r));
  std::string encoded;
  for (char32_t c : {0x41u, 0xE9u, 0x3A3u, 0x4E2Du, 0x1F600u, 0x10FFFFu}) {
    encoded.clear();
    ri::AppendUtf8(c, &encoded);
    size_t pos = 0;
    EXPECT_EQ(ri::DecodeUtf8(encoded, &pos), c);
    EXPECT_EQ(pos, encoded.size());
  }
}

TEST(AnalyzerTest, CaseFolding) {
  EXPECT_EQ(ri::FoldCase('Q'), U'q');
  EXPECT_EQ(ri::FoldCase(0xC9), 0xE9u);    // É
  EXPECT_EQ(ri::FoldCase(0xD7), 0xD7u);    // × unchanged
  EXPECT_EQ(ri::FoldCase(0x178), 0xFFu);   // Ÿ
  EXPECT_EQ(ri::FoldCase(0x141), 0x142u);  // Ł
  EXPECT_EQ(ri::FoldCase(0x3A3), 0x3C3u);  // Σ
  EXPECT_EQ(ri::FoldCase(0x3C2), 0x3C3u);  // final ς
  EXPECT_EQ(ri::FoldCase(0x38F), 0x3CEu);  // Ώ
  EXPECT_EQ(ri::FoldCase(0x401), 0x451u);  // Ё
  EXPECT_EQ(ri::FoldCase(0x42F), 0x44Fu);  // Я
  EXPECT_EQ(ri::FoldCase(0x490), 0x491u);  // Ґ
  EXPECT_EQ(ri::FoldCase(0x531), 0x561u);  // Armenian
  EXPECT_EQ(ri::FoldCase(0x1E9E), 0xDFu);  // ẞ
  EXPECT_EQ(ri::FoldCase(0x4E2D), 0x4E2Du);
}

TEST(AnalyzerTest, OptionsEachDoWhatTheySay) {
  AnalyzerOptions o = Plain();
  o.lowercase = false;
  o.strip_possessives = false;
  EXPECT_THAT(Make(o).Analyze("Hello World's"), ElementsAre("Hello", "World's"));
  o = Plain();
  o.remove_stopwords = true;
  o.stopwords = {"Foo", "bar"};
  EXPECT_THAT(Make(o).Analyze("foo BAR baz the"), ElementsAre("baz", "the"));
  o = Plain();
  o.max_token_bytes = 5;
  EXPECT_THAT(Make(o).Analyze("ééé abcdefgh"), ElementsAre("éé", "abcde"));
  o = Plain();
  o.stem = true;
  EXPECT_THAT(Make(o).Analyze("generalizations don't"), ElementsAre("general", "don't"));
}

TEST(AnalyzerTest, InvalidOptions) {
  AnalyzerOptions o;
  o.max_token_bytes = 3;
  EXPECT_EQ(Analyzer::Create(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = {};
  o.stopwords = {"ok", ""};
  absl::Status s = Analyzer::Create(o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("stopwords[1]"), absl::string_view::npos);
}

TEST(AnalyzerTest, HashTermIsXxh3) {
  EXPECT_EQ(HashTerm("posting"), XXH3_64bits("posting", 7));
  EXPECT_NE(HashTerm("a"), HashTerm("b"));
}

TEST(AnalyzerTest, ConcurrentAnalyzeAgrees) {
  Analyzer a = Make();
  const std::string text = "Generalizations of runners' relational databases and indexing";
  const std::vector<std::string> expected = a.Analyze(text);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t]() {
      for (int i = 0; i < 300; ++i) mismatches[t] += a.Analyze(text) != expected;
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

}  // namespace
}  // namespace llmds
