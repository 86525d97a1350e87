// metrics.jsonl and the TensorBoard event file, the latter read back by an independent
// reader: python3-crc32c checks every record's masked CRC-32C, python3-protobuf parses the
// events from a module that protoc generates from our .proto.
#include "soho/train/metrics_log.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace soho::train {
namespace {

namespace fs = std::filesystem;

std::string RunCommand(const std::string& command) {
  std::string output;
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0) << command << "\n" << output;
  return output;
}

TEST(MetricsLogTest, JsonLinesAndEventFileReadBackIndependently) {
  const fs::path dir = fs::path(::testing::TempDir()) / "metrics";
  fs::remove_all(dir);
  {
    auto log = MetricsLog::Create(dir.string());
    ASSERT_TRUE(log.ok()) << log.status();
    ASSERT_TRUE((*log)->Write("train", 1, 10, {{"loss", 2.5}, {"lr", 1e-4}}).ok());
    ASSERT_TRUE((*log)->Write("val", 1, 20, {{"vqa_score", 0.0}}).ok());
  }
  std::ifstream jsonl(dir / "metrics.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(jsonl, line));
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["mode"], "train");
  EXPECT_EQ(first["iter"], 10);
  EXPECT_DOUBLE_EQ(first["loss"].get<double>(), 2.5);
  ASSERT_TRUE(std::getline(jsonl, line));
  EXPECT_EQ(nlohmann::json::parse(line)["mode"], "val");

  std::string event_file;
  for (const auto& entry : fs::directory_iterator(dir / "tf_logs")) event_file = entry.path().string();
  ASSERT_NE(event_file.find("events.out.tfevents."), std::string::npos);
  const std::string proto_dir = fs::path("soho/train").string();
  const fs::path gen = dir / "gen";
  fs::create_directories(gen);
  RunCommand("/usr/bin/protoc --python_out=" + gen.string() + " -I" + proto_dir + " " + proto_dir +
      "/tensorboard_event.proto");
  const std::string scalars =
      RunCommand("/usr/bin/python3 soho/train/event_writer_test.py " + event_file + " " + gen.string());
  // A zero is written too (proto2 presence), and tags carry the mode.
  EXPECT_EQ(scalars, "train/loss 10 2.5\ntrain/lr 10 0.0001\nval/vqa_score 20 0\n");
}

}  // namespace
}  // namespace soho::train
