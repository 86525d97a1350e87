#include "soho/train/stop_signal.h"

#include <atomic>
#include <csignal>

namespace soho::train {
namespace {

std::atomic<int> g_stop_signal{0};

extern "C" void OnStopSignal(int signal) {
  g_stop_signal.store(signal);
  std::signal(signal, SIG_DFL);  // a second Ctrl-C stops at once
}

}  // namespace

void InstallStopSignalHandlers() {
  g_stop_signal.store(0);
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

int StopSignal() { return g_stop_signal.load(); }

}  // namespace soho::train
