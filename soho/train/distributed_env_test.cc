#include "soho/train/distributed_env.h"

#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace soho::train {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(DistributedEnvTest, NoVariablesIsASingleProcess) {
  auto env = ReadDistributedEnv(Env({}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_FALSE(env->has_value());
}

TEST(DistributedEnvTest, ReadsTorchrunVariables) {
  auto env = ReadDistributedEnv(Env({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                     {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"},
                                     {"MASTER_PORT", "29500"}, {"TORCHELASTIC_RESTART_COUNT", "2"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  ASSERT_TRUE(env->has_value());
  const DistributedEnv& e = **env;
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.world_size, 4);
  EXPECT_EQ(e.local_rank, 1);
  EXPECT_EQ(e.local_world_size, 2);
  EXPECT_EQ(e.master_addr, "10.0.0.1");
  EXPECT_EQ(e.master_port, 29500);
  EXPECT_EQ(e.restart_count, 2);
}

TEST(DistributedEnvTest, LocalRanksAndRestartCountDefault) {
  auto env = ReadDistributedEnv(
      Env({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1234"}}));
  ASSERT_TRUE(env.ok()) << env.status();
  EXPECT_EQ((*env)->local_rank, 0);
  EXPECT_EQ((*env)->local_world_size, 1);
  EXPECT_EQ((*env)->restart_count, 0);
}

TEST(DistributedEnvTest, BadValuesNameTheVariable) {
  const std::map<std::string, std::string> good = {
      {"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1234"}};
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> cases = {
      {{"RANK", "2"}, "RANK='2'"},
      {{"RANK", "x"}, "RANK='x'"},
      {{"WORLD_SIZE", "0"}, "WORLD_SIZE='0'"},
      {{"MASTER_PORT", "70000"}, "MASTER_PORT='70000'"},
      {{"LOCAL_RANK", "-1"}, "LOCAL_RANK='-1'"},
      {{"TORCHELASTIC_RESTART_COUNT", "one"}, "TORCHELASTIC_RESTART_COUNT='one'"},
      {{"MASTER_ADDR", ""}, "MASTER_ADDR is not set"},
  };
  for (const auto& [var, expected] : cases) {
    auto vars = good;
    vars[var.first] = var.second;
    auto env = ReadDistributedEnv(Env(vars));
    ASSERT_FALSE(env.ok()) << var.first;
    EXPECT_THAT(std::string(env.status().message()), HasSubstr(expected));
  }
  auto missing = ReadDistributedEnv(Env({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("MASTER_PORT is not set"));
}

}  // namespace
}  // namespace soho::train
